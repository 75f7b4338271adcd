// The `jobs` scenario: starters keep BenchJob processes coming while W worker connections
// activate them in batches (long polls) and complete each. It reports processes completed
// end to end per second and the latency from a process' start to its job's activation.

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/scenario.hpp"

namespace baton::bench {

namespace {

std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

/// What the worker units share: completions in the window and start → activation latency.
struct job_tally {
  std::atomic<bool> measuring{false};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> activated{0};
  std::atomic<std::uint64_t> activations{0};  ///< answered activations, empty ones included
  std::mutex mutex;
  histogram to_activation;  ///< guarded by `mutex`: units run on several threads
};

/// Activates a batch on `conn` and completes each job on the same connection, `pipeline`
/// completions at a time (pipelined, as a worker finishing jobs on several threads sends them).
asio::awaitable<unit_outcome> work_batch(connection& conn, const std::string& activate,
                                         const std::string& host, const std::string& api_key,
                                         std::size_t pipeline, job_tally& tally) {
  auto reply = co_await conn.exchange(activate);
  if (reply.status != 200) {
    auto o = outcome_of(reply, 200);
    o.key = "activate " + o.key;
    co_return o;
  }
  auto now = steady_ns();
  ++tally.activations;
  boost::json::value doc;
  try {
    doc = boost::json::parse(reply.body);
  } catch (const std::exception&) {
    co_return unit_outcome{"activate: not JSON", false};
  }
  const auto& jobs = doc.at("jobs").as_array();
  if (jobs.empty()) co_return unit_outcome{"activate: empty (waited)", true};
  {
    std::lock_guard lock(tally.mutex);
    for (const auto& j : jobs) {
      const auto& values = j.at("values").as_object();
      if (const auto* t0 = values.if_contains("t0"); t0 && t0->is_int64()) {
        auto started = static_cast<std::uint64_t>(t0->as_int64());
        if (tally.measuring && now > started) tally.to_activation.record(now - started);
      }
    }
  }
  tally.activated += jobs.size();
  std::vector<std::string> completions;
  for (std::size_t first = 0; first < jobs.size(); first += pipeline) {
    completions.clear();
    for (auto i = first; i < std::min(jobs.size(), first + pipeline); ++i) {
      auto key = boost::json::value_to<std::string>(jobs[i].at("key"));
      auto token = boost::json::value_to<std::string>(jobs[i].at("lease").at("token"));
      auto body = R"({"leaseToken":")" + token + R"(","params":{"x":1}})";
      completions.push_back(
          make_request("POST", "/api/v1/jobs/" + key + "/complete", host, body, api_key));
    }
    for (const auto& done : co_await conn.exchange_pipelined(completions)) {
      if (done.status != 200) {
        auto o = outcome_of(done, 200);
        o.key = "complete " + o.key;
        co_return o;
      }
      if (tally.measuring) ++tally.completed;
    }
  }
  co_return unit_outcome{"200", true};
}

}  // namespace

run_report run_jobs(const bench_options& options) {
  run_report report;
  report.scenario = options.scenario;
  report.label = options.load.label;
  auto t = open_target(options);
  auto tally = std::make_shared<job_tally>();

  // Workers: the measured load, W connections, each a batch per unit.
  auto worker_load = options.load;
  auto batch = std::max<std::uint64_t>(1, std::min<std::uint64_t>(options.jobs_batch, 1000));
  auto pipeline = static_cast<std::size_t>(std::clamp<std::uint64_t>(options.jobs_pipeline, 1, 16));
  auto activate = std::make_shared<const std::string>(make_request(
      "POST", "/api/v1/jobs/activate", t.host,
      fmt::format(R"({{"type":"bench","worker":"bench","max":{},"leaseMs":60000,"waitMs":1000}})",
                  batch),
      options.api_key));
  std::chrono::steady_clock::time_point opened, closed;
  worker_load.on_window_open = [&] {
    opened = std::chrono::steady_clock::now();
    report.server_before = sample_process(t.pid);
    tally->measuring = true;
  };
  worker_load.on_window_close = [&] {
    tally->measuring = false;
    closed = std::chrono::steady_clock::now();
    report.server_after = sample_process(t.pid);
  };
  worker_load.label = "jobs";

  // Starters: unmeasured, a quarter of the connections (at least 4), for as long as the
  // workers run (they stop when the workers are done). They start `pipeline` processes per
  // round trip so that supply does not bound the workers (one start per round trip on 16
  // connections capped the scenario near 4.5k/s while the 64 workers sat parked). They pause
  // while enough jobs wait to fill every worker's next activation: a backlog beyond that only
  // takes CPU from the workers and memory from the server.
  const auto backlog_cap =
      options.jobs_backlog > 0 ? options.jobs_backlog : worker_load.connections * batch;
  auto starter_load = setup_load(options, 0);
  starter_load.connections = std::max<std::size_t>(4, options.load.connections / 4);
  starter_load.duration = options.load.warmup + options.load.duration + std::chrono::seconds(2);
  starter_load.warmup = std::chrono::seconds(0);
  starter_load.progress = false;
  starter_load.threads = 1;
  std::atomic<std::uint64_t> started{0};
  std::thread starters([&] {
    auto host = t.host;
    auto key = options.api_key;
    run_load(t.endpoint, starter_load,
             [host, key, pipeline, backlog_cap, tally, &started](
                 connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
               if (started.load() >= tally->activated.load() + backlog_cap) {
                 asio::steady_timer pause(co_await asio::this_coro::executor);
                 pause.expires_after(std::chrono::milliseconds(1));
                 co_await pause.async_wait(asio::use_awaitable);
                 co_return unit_outcome{"paused: backlog full", true};
               }
               std::vector<std::string> starts;
               for (std::size_t i = 0; i < pipeline; ++i) {
                 auto body = fmt::format(R"({{"definition":"BenchJob","values":{{"t0":{}}}}})",
                                         steady_ns());
                 starts.push_back(make_request("POST", "/api/v1/processes", host, body, key));
               }
               unit_outcome o{"201", true};
               for (const auto& reply : co_await c.exchange_pipelined(starts)) {
                 auto one = outcome_of(reply, 201);
                 if (one.ok)
                   ++started;
                 else
                   o = one;
               }
               co_return o;
             });
  });
  report.mode = fmt::format(
      "closed loop, {} worker connections activating up to {} jobs each and completing {} at "
      "a time, {} starter connections starting {} at a time while fewer than {} jobs wait; "
      "{:.0f} s after {:.0f} s warm-up",
      worker_load.connections, batch, pipeline, starter_load.connections, pipeline, backlog_cap,
      std::chrono::duration<double>(options.load.duration).count(),
      std::chrono::duration<double>(options.load.warmup).count());
  report.load = run_load(t.endpoint, worker_load,
                         [activate, host = t.host, key = options.api_key, pipeline, tally](
                             connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
                           co_return co_await work_batch(c, *activate, host, key, pipeline, *tally);
                         });
  starters.join();
  report.have_server = report.server_before.ok && report.server_after.ok;
  auto window = std::chrono::duration<double>(closed - opened).count();
  report.cpu_window_s = window;
  report.figure("processes_per_s", window > 0 ? tally->completed / window : 0);
  report.figure("jobs_completed", static_cast<double>(tally->completed.load()));
  report.figure("processes_started", static_cast<double>(started.load()));
  report.figure("jobs_per_activation", tally->activations
                                           ? static_cast<double>(tally->activated.load()) /
                                                 static_cast<double>(tally->activations.load())
                                           : 0.0);
  {
    std::lock_guard lock(tally->mutex);
    const auto& h = tally->to_activation;
    report.figure("start_to_activation_p50_ms", h.quantile(0.5) / 1e6);
    report.figure("start_to_activation_p99_ms", h.quantile(0.99) / 1e6);
    report.figure("start_to_activation_max_ms", h.max() / 1e6);
  }
  report.notes.push_back(
      "a unit is one activation and the completion of every job it got; processes_per_s counts "
      "jobs completed (each ends its process) inside the measured window");
  if (t.spawned) t.spawned->stop();
  return report;
}

}  // namespace baton::bench
