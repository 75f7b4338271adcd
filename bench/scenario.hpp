#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/load.hpp"
#include "bench/server.hpp"
#include "bench/server_metrics.hpp"

namespace baton::bench {

/// Everything a run is asked to do, from the command line.
struct bench_options {
  std::string scenario;
  load_options load;
  std::string url;                         ///< host:port of a running server; empty: spawn one
  std::string server_binary;               ///< spawn this `baton` (preferred)
  std::vector<std::string> server_prefix;  ///< run it under this (valgrind, perf record)
  pid_t server_pid = 0;                    ///< for /proc figures of a server the tool did not start
  std::map<std::string, std::string> server_env;  ///< BATON_* for a spawned server
  std::string storage_mode;                       ///< "sync" | "async" | "" (server default)
  std::string io_threads;                         ///< BATON_HTTP__IO_THREADS; "" default
  std::uint64_t populate =
      0;  ///< ids for status; processes for recovery/memory; schedules for cron
  std::uint64_t scopes = 10'000;
  std::int64_t passivate_ms = 1'000;      ///< memory scenario
  std::uint64_t complete_sample = 1'000;  ///< recovery: completions after the restart
  std::uint64_t jobs_batch = 32;          ///< jobs: `max` of each activation
  std::uint64_t jobs_pipeline = 16;       ///< jobs: requests a worker or starter sends at once
  std::uint64_t jobs_backlog = 0;  ///< jobs: starters pause at this many waiting; 0: W × batch
  std::string definitions_dir = "bench/definitions";
  std::string api_key;
  std::filesystem::path data_root;
  bool keep_data = false;
  std::string json_file;
  std::string plot_file;
};

/// The figures of one run, for people (print_report) and machines (write_json).
struct run_report {
  std::string scenario;
  std::string label;
  std::string mode;  ///< "closed loop, 64 connections", ...
  std::optional<load_result> load;
  proc_sample server_before, server_after;
  bool have_server = false;
  double cpu_window_s = 0;  ///< wall time over which server CPU was measured
  std::optional<store_delta> store;
  std::vector<std::pair<std::string, double>> figures;  ///< scenario-specific, in print order
  std::vector<std::string> notes;
  std::map<std::string, std::string> settings;  ///< what the run was (for the JSON)

  void figure(std::string name, double v) { figures.emplace_back(std::move(name), v); }
  double cpu_s() const { return server_after.cpu_s - server_before.cpu_s; }
};

/// The names `--scenario` accepts.
const std::vector<std::string>& scenario_names();

/// Runs one scenario from start to end: the server (spawned or given), definitions,
/// population, load, and the figures. Throws std::runtime_error with the reason on failure.
run_report run_scenario(const bench_options& options);

// ---- helpers the scenario files share -------------------------------------------------------

/// A server to measure: spawned (and removed afterwards) or one already running.
struct target {
  std::unique_ptr<server_process> spawned;
  tcp::endpoint endpoint;
  pid_t pid = 0;
  std::string host;  ///< "127.0.0.1:PORT" for the Host header
};

/// Spawns or connects, then deploys the definitions in `options.definitions_dir`.
target open_target(const bench_options& options,
                   const std::map<std::string, std::string>& extra_env = {});
void deploy_definitions(const bench_options& options, const target& t);

/// Starts `n` processes of `definition` as fast as the server allows and returns their ids
/// (in no particular order).
std::vector<std::string> populate_processes(const bench_options& options, const target& t,
                                            const std::string& definition, std::uint64_t n);

/// The value of `"key":"..."` first found in a JSON text; empty when absent.
std::string string_field(std::string_view json, std::string_view key);

/// Load options for set-up work: no warm-up, no progress unless asked, count mode.
load_options setup_load(const bench_options& options, std::uint64_t count);

/// The scenarios about state (cron, recovery, memory) and the disk probe, in
/// scenario_state.cpp.
run_report run_cron(const bench_options& options);
run_report run_recovery(const bench_options& options);
run_report run_memory(const bench_options& options);
run_report run_disk(const bench_options& options);
/// Workers activating and completing job steps, in scenario_jobs.cpp.
run_report run_jobs(const bench_options& options);

}  // namespace baton::bench
