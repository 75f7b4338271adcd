// baton-bench: the load generator and its scenarios. See README.md, "Performance".

#include <fmt/core.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <exception>
#include <fstream>
#include <random>

#include "bench/report.hpp"
#include "bench/scenario.hpp"

namespace {

using namespace baton::bench;

/// "10s", "500ms", "2m", "1.5" (seconds) as nanoseconds; throws CLI::ValidationError.
std::chrono::nanoseconds parse_duration(const std::string& text) {
  double v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string_view unit(res.ptr, text.data() + text.size() - res.ptr);
  double scale = unit == "" || unit == "s" ? 1e9 : unit == "ms" ? 1e6 : unit == "m" ? 60e9 : -1;
  if (res.ec != std::errc{} || scale < 0 || v < 0) {
    throw CLI::ValidationError("duration",
                               "\"" + text + "\" is not a duration such as 10s, 500ms, 2m");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(v * scale));
}

/// The 1-minute load average: the machine is shared, and a figure means little without it.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first.empty() ? "unknown" : first;
}

std::string names_list() {
  std::string out;
  for (const auto& n : scenario_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// A server the bench starts requires credentials like any other (auth.required defaults to
/// true): unless the caller chose a key or an auth setting, it gets a fresh static admin key
/// and every request carries it.
void give_started_server_a_key(bench_options& o) {
  if (o.server_binary.empty() || !o.api_key.empty()) return;
  for (const auto& [k, v] : o.server_env) {
    if (k.rfind("BATON_AUTH__", 0) == 0) return;
  }
  std::random_device entropy;
  o.api_key = fmt::format("bench-{:08x}{:08x}{:08x}", entropy(), entropy(), entropy());
  o.server_env["BATON_AUTH__API_KEYS"] = o.api_key;
}

}  // namespace

int main(int argc, char** argv) {
  // A server that closes a connection mid-write must not kill the load generator.
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"baton-bench: load generator and standard scenarios for the Baton server"};
  app.require_subcommand(0, 1);
  // A later option wins, so that scripts can override a common set of flags.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  bench_options o;
  std::string duration = "10s", warmup = "2s", timeout = "30s";
  std::vector<std::string> env;
  app.add_option("--scenario,-s", o.scenario, "one of: " + names_list());
  app.add_option("--server-binary", o.server_binary,
                 "start this baton binary per run on 127.0.0.1 with a temporary data folder");
  std::string prefix;
  app.add_option("--server-prefix", prefix,
                 "run the started server under this command, split at spaces "
                 "(\"valgrind --tool=callgrind --callgrind-out-file=cg.out\")");
  app.add_option("--url", o.url, "host:port of a running server instead (127.0.0.1:8080)");
  app.add_option("--server-pid", o.server_pid, "pid of that server, for CPU and RSS from /proc");
  app.add_option("--server-env", env, "KEY=VALUE for a started server (BATON_*), repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--storage-mode", o.storage_mode, "sync or async, for a started server")
      ->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--io-threads", o.io_threads, "BATON_HTTP__IO_THREADS for a started server");
  app.add_option("--connections,-c", o.load.connections, "keep-alive connections")
      ->capture_default_str();
  app.add_option("--threads,-t", o.load.threads, "client threads")->capture_default_str();
  app.add_option("--rate,-r", o.load.rate,
                 "open loop at this many units per second (0: closed loop)");
  app.add_option("--duration,-d", duration, "measured time (10s, 500ms, 2m)")
      ->capture_default_str();
  app.add_option("--count,-n", o.load.count, "measure this many units instead of a duration");
  app.add_option("--warmup,-w", warmup, "unmeasured time first")->capture_default_str();
  app.add_option("--timeout", timeout, "per request")->capture_default_str();
  app.add_option("--populate,-p", o.populate,
                 "status: ids to GET (10000); recovery, memory: waiting processes (100000); "
                 "cron: schedules (10000)");
  app.add_option("--scopes", o.scopes, "scope-many: distinct scopes")->capture_default_str();
  app.add_option("--passivate-ms", o.passivate_ms, "memory, recovery: engine.passivate_after_ms")
      ->capture_default_str();
  app.add_option("--complete-sample", o.complete_sample,
                 "recovery: steps completed after the restart")
      ->capture_default_str();
  app.add_option("--batch", o.jobs_batch, "jobs: jobs per activation (1..1000)")
      ->capture_default_str();
  app.add_option("--pipeline", o.jobs_pipeline,
                 "jobs: completions a worker, and starts a starter, sends at once on its "
                 "connection (1..16, the server's default http.pipeline_limit; 1: one at a time)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--backlog", o.jobs_backlog,
                 "jobs: starters pause while this many started jobs are not yet activated "
                 "(0: connections x batch)")
      ->capture_default_str();
  app.add_option("--definitions", o.definitions_dir, "folder of the bench definitions")
      ->capture_default_str();
  app.add_option("--api-key", o.api_key, "x-api-key for the native API");
  app.add_option("--data-root", o.data_root, "where started servers keep their temporary data");
  app.add_flag("--keep-data", o.keep_data, "keep a started server's data folder");
  app.add_option("--label", o.load.label, "a name for this variant in reports");
  app.add_option("--json", o.json_file, "write the run as JSON here");
  app.add_option("--plot", o.plot_file,
                 "draw throughput and latency per second here (PNG, gnuplot)");
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "no progress line");

  summary_options so;
  auto* sum = app.add_subcommand("summarize", "median tables and budgets from --json files");
  sum->add_option("files", so.files, "JSON files of runs")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sum->add_option("--out,-o", so.out, "markdown file (default: stdout)");
  sum->add_option("--ceiling-rps", so.ceiling_rps, "wrk requests/s on /healthz");
  sum->add_option("--ceiling-latency", so.ceiling_latency, "wrk latency text");
  sum->add_option("--ceiling-command", so.ceiling_command, "the wrk command");
  sum->add_option("--title", so.title);
  sum->add_option("--context", so.context, "lines under the title")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  CLI11_PARSE(app, argc, argv);
  if (sum->parsed()) return summarize(so);
  clean_up_on_signal();

  try {
    if (o.scenario.empty()) throw std::runtime_error("give --scenario: " + names_list());
    o.load.duration = parse_duration(duration);
    o.load.warmup = parse_duration(warmup);
    o.load.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(timeout));
    o.load.progress = !quiet;
    if (o.load.connections == 0) throw std::runtime_error("--connections must be 1 or more");
    for (std::size_t at = 0; at < prefix.size();) {
      auto end = prefix.find(' ', at);
      if (end == std::string::npos) end = prefix.size();
      if (end > at) o.server_prefix.push_back(prefix.substr(at, end - at));
      at = end + 1;
    }
    for (const auto& kv : env) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw std::runtime_error("--server-env wants KEY=VALUE: " + kv);
      o.server_env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    give_started_server_a_key(o);
    auto load_before = load_average();
    auto report = run_scenario(o);
    report.settings = {{"connections", std::to_string(o.load.connections)},
                       {"threads", std::to_string(o.load.threads)},
                       {"rate", fmt::format("{}", o.load.rate)},
                       {"duration", duration},
                       {"warmup", warmup},
                       {"count", std::to_string(o.load.count)},
                       {"populate", std::to_string(o.populate)},
                       {"storage_mode", o.storage_mode.empty() ? "default" : o.storage_mode},
                       {"io_threads", o.io_threads.empty() ? "default" : o.io_threads},
                       {"server", o.server_binary.empty() ? o.url : o.server_binary},
                       {"loadavg_before", load_before},
                       {"loadavg_after", load_average()}};
    print_report(report);
    if (!o.json_file.empty()) write_json(report, o.json_file);
    if (!o.plot_file.empty() && !write_plot(report, o.plot_file)) return 3;
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "baton-bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
