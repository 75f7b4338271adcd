#pragma once

#include <string>
#include <vector>

#include "bench/scenario.hpp"

namespace baton::bench {

/// The run for people, on stdout.
void print_report(const run_report& report);

/// The run for machines: every figure, the outcomes and the per-second timeline.
void write_json(const run_report& report, const std::string& path);

/// Throughput and latency percentiles per second as a PNG, drawn by gnuplot. @returns false
/// (with the reason on stderr) when gnuplot is missing or fails.
bool write_plot(const run_report& report, const std::string& path);

/// What `baton-bench summarize` is given besides the JSON files of the runs.
struct summary_options {
  std::vector<std::string> files;
  std::string out;              ///< markdown file; "-" or empty: stdout
  double ceiling_rps = 0;       ///< wrk on /healthz, requests/s
  std::string ceiling_latency;  ///< wrk's "p50 / p99" text, shown as given
  std::string ceiling_command;  ///< the wrk command line
  std::string title = "Baton benchmark results";
  std::vector<std::string> context;  ///< lines shown under the title (machine, commit, ...)
};

/// Medians by scenario over all the runs given, their ratio to the HTTP ceiling, and the
/// budgets of DESIGN.md met or not, as markdown.
int summarize(const summary_options& options);

}  // namespace baton::bench
