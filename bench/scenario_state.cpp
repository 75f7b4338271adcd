// The scenarios about state rather than request rate: cron (many schedules due in one
// second), recovery (kill -9 with many waiting processes) and memory (passivated processes).

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "bench/scenario.hpp"

namespace baton::bench {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(wall::now().time_since_epoch()).count();
}

std::uint64_t directory_bytes(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

void require_spawned(const bench_options& options) {
  if (options.server_binary.empty()) {
    throw std::runtime_error(options.scenario +
                             " restarts or watches its own server: give --server-binary");
  }
}

/// Creates `n` schedules of BenchNoop with `cron`; @returns how many were created.
std::uint64_t create_schedules(const bench_options& options, const target& t,
                               const std::string& cron, std::uint64_t n,
                               load_result* out = nullptr) {
  auto req = std::make_shared<const std::string>(make_request(
      "POST", "/api/v1/schedules", t.host,
      fmt::format(R"({{"definition":"BenchNoop","cron":"{}","timeZone":"UTC"}})", cron),
      options.api_key));
  auto lo = setup_load(options, n);
  lo.label = "schedules";
  auto result = run_load(t.endpoint, lo,
                         [req](connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
                           co_return outcome_of(co_await c.exchange(*req), 201);
                         });
  if (result.errors) {
    std::string why;
    for (const auto& [k, v] : result.outcomes) why += fmt::format(" {}: {}", k, v);
    fmt::print(stderr, "cron: {} schedules not created:{}\n", result.errors, why);
  }
  auto created = result.latency.count();
  if (out) *out = std::move(result);
  return created;
}

/// The createdMs of every BenchNoop process started by a schedule (paging the list).
std::vector<std::int64_t> scheduled_starts(const bench_options& options, const target& t) {
  std::vector<std::int64_t> out;
  std::string after;
  for (int page = 0; page < 100'000; ++page) {
    auto path = "/api/v1/processes?definition=BenchNoop&limit=1000" +
                (after.empty() ? std::string() : "&after=" + after);
    auto reply = fetch(t.endpoint, "GET", path, {}, options.api_key);
    if (reply.status != 200) break;
    boost::system::error_code ec;
    auto doc = boost::json::parse(reply.body, ec);
    if (ec || !doc.is_object()) break;
    for (const auto& item : doc.at("items").as_array()) {
      const auto& p = item.as_object();
      if (!p.contains("scheduleId") || !p.contains("createdMs")) continue;
      out.push_back(p.at("createdMs").to_number<std::int64_t>());
    }
    const auto& next = doc.at("next");
    if (!next.is_string()) break;
    after = std::string(next.as_string());
  }
  return out;
}

}  // namespace

// ---- cron -----------------------------------------------------------------------------------

run_report run_cron(const bench_options& options) {
  require_spawned(options);
  run_report report;
  report.scenario = "cron";
  report.label = options.load.label;
  auto n = options.populate ? options.populate : 10'000;
  auto t = open_target(options);

  // The second every schedule fires in must lie after the last one is created, so a pilot
  // of schedules that never fire in this run measures how fast they are created.
  auto pilot_n = std::min<std::uint64_t>(1'000, n);
  auto pilot_start = steady::now();
  create_schedules(options, t, "0 0 0 1 1 ? 2099", pilot_n);
  double pilot_rate = pilot_n / std::max(seconds_since(pilot_start), 1e-3);
  double lead_s = 2.0 + 1.5 * n / pilot_rate;
  auto fire_ms = ((wall_ms() + static_cast<std::int64_t>(lead_s * 1000)) / 1000 + 1) * 1000;
  auto second = (fire_ms / 1000) % 60;
  report.notes.push_back(
      fmt::format("{} schedules \"{} * * * * ?\" (every minute at second {}), created at {:.0f}/s "
                  "({} never-firing pilot schedules measured the rate first)",
                  n, second, second, pilot_rate, pilot_n));

  load_result creation;
  auto created_at = steady::now();
  auto created = create_schedules(options, t, fmt::format("{} * * * * ?", second), n, &creation);
  report.figure("schedules_created", static_cast<double>(created));
  report.figure("create_per_s", created / std::max(seconds_since(created_at), 1e-3));
  report.figure("create_p99_ms", creation.latency.quantile(0.99) / 1e6);

  // The first due time at least a second away: when creation overran the planned second,
  // every schedule comes due together a minute later.
  while (fire_ms < wall_ms() + 1'000) fire_ms += 60'000;
  report.figure("waited_for_fire_s", (fire_ms - wall_ms()) / 1000.0);
  std::this_thread::sleep_for(milliseconds(std::max<std::int64_t>(0, fire_ms - wall_ms() - 500)));

  auto before = scrape_metrics(t.endpoint, options.api_key);
  report.server_before = sample_process(t.pid);
  auto cpu_from = steady::now();
  const char* finished = "baton_processes_finished_total{status=\"SUCCEEDED\"}";
  double fired_s = -1, started_s = -1, finished_s = -1;
  auto target_n = static_cast<double>(created);
  metrics_sample now;
  // Stop before the next minute's fires would mix in.
  while (wall_ms() < fire_ms + 58'000) {
    now = scrape_metrics(t.endpoint, options.api_key);
    auto since = (wall_ms() - fire_ms) / 1000.0;
    auto delta = [&](const char* series) { return now[series] - before[series]; };
    if (fired_s < 0 && delta("baton_schedule_fires_total") >= target_n) fired_s = since;
    if (started_s < 0 && delta("baton_processes_started_total") >= target_n) started_s = since;
    if (finished_s < 0 && delta(finished) >= target_n) finished_s = since;
    if (fired_s >= 0 && started_s >= 0 && finished_s >= 0) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  report.server_after = sample_process(t.pid);
  report.have_server = report.server_before.ok && report.server_after.ok;
  report.cpu_window_s = seconds_since(cpu_from);
  report.store = store_between(before, now);
  report.figure("fires", now["baton_schedule_fires_total"] - before["baton_schedule_fires_total"]);
  report.figure("all_fired_s", fired_s);
  report.figure("all_started_s", started_s);
  report.figure("all_finished_s", finished_s);
  report.figure("trigger_lag_max_ms", now["baton_schedule_fire_lag_ms_max"]);
  if (fired_s < 0) report.notes.push_back("not every schedule fired within 58 s");
  if (started_s < 0) report.notes.push_back("not every fire started its process within 58 s");

  // Each run's start against its due time, from the stored processes.
  auto starts = scheduled_starts(options, t);
  histogram lag;
  for (auto created_ms : starts) {
    if (created_ms >= fire_ms)
      lag.record(static_cast<std::uint64_t>(created_ms - fire_ms) * 1'000'000);
  }
  report.figure("runs_listed", static_cast<double>(lag.count()));
  report.figure("start_lag_p50_ms", lag.quantile(0.5) / 1e6);
  report.figure("start_lag_p99_ms", lag.quantile(0.99) / 1e6);
  report.figure("start_lag_max_ms", lag.max() / 1e6);
  report.mode = fmt::format("{} schedules due in one second", created);
  t.spawned->stop();
  return report;
}

// ---- recovery -------------------------------------------------------------------------------

run_report run_recovery(const bench_options& options) {
  require_spawned(options);
  run_report report;
  report.scenario = "recovery";
  report.label = options.load.label;
  auto n = options.populate ? options.populate : 100'000;
  // Short passivation while populating: with the default 30 s every waiting process stays
  // an actor linked to the scheduler, and each later exit unlinks in time linear in the
  // number of live actors (see README, Performance), which stalls a large populate.
  auto t = open_target(
      options, {{"BATON_ENGINE__PASSIVATE_AFTER_MS", std::to_string(options.passivate_ms)}});
  auto populate_from = steady::now();
  auto ids = populate_processes(options, t, "BenchExternal", n);
  report.figure("populated", static_cast<double>(ids.size()));
  report.figure("populate_per_s", ids.size() / std::max(seconds_since(populate_from), 1e-3));
  if (ids.empty()) throw std::runtime_error("recovery: no process could be started");

  t.spawned->kill9();
  report.figure("data_mb", directory_bytes(t.spawned->folder() / "data") / 1e6);

  // Restart on the same data: listening, ready, every process answering RUNNING.
  auto restart = steady::now();
  auto listen_after = t.spawned->start();
  t.pid = t.spawned->pid();
  t.endpoint = t.spawned->endpoint();
  t.host = t.endpoint.address().to_string() + ":" + std::to_string(t.endpoint.port());
  if (!wait_ready(t.endpoint, std::chrono::seconds(600))) {
    throw std::runtime_error("recovery: not ready within 600 s\n" + t.spawned->log_tail());
  }
  auto ready_s = seconds_since(restart);
  report.figure("listening_s", std::chrono::duration<double>(listen_after).count());
  report.figure("ready_s", ready_s);
  report.server_before = sample_process(t.pid);
  report.figure("rss_after_ready_mb", report.server_before.rss_kb / 1024.0);

  auto reqs = std::make_shared<std::vector<std::string>>();
  reqs->reserve(ids.size());
  for (const auto& id : ids) {
    reqs->push_back(make_request("GET", "/api/v1/processes/" + id, t.host, {}, options.api_key));
  }
  auto lo = setup_load(options, reqs->size());
  lo.label = "check";
  auto check = run_load(
      t.endpoint, lo, [reqs](connection& c, std::uint64_t seq) -> asio::awaitable<unit_outcome> {
        if (seq >= reqs->size()) co_return unit_outcome{"extra", true};
        auto reply = co_await c.exchange((*reqs)[seq]);
        if (reply.status != 200) co_return outcome_of(reply, 200);
        bool running = reply.body.find("\"status\":\"RUNNING\"") != std::string::npos;
        co_return unit_outcome{running ? "RUNNING" : "not RUNNING", running};
      });
  report.figure("all_running_s", seconds_since(restart));
  report.figure("running", static_cast<double>(check.outcomes["RUNNING"]));

  // Resumed, not only stored: complete a sample of the steps, which rehydrates each process.
  auto sample = std::min<std::uint64_t>(options.complete_sample, ids.size());
  if (sample > 0) {
    auto body = std::make_shared<std::vector<std::string>>();
    for (std::uint64_t i = 0; i < sample; ++i) {
      auto id = ids[(i * ids.size()) / sample];
      body->push_back(make_request("POST", "/api/v1/processes/complete-step", t.host,
                                   "{\"processStepId\":\"" + id + "-1\",\"params\":{}}",
                                   options.api_key));
    }
    auto lo2 = setup_load(options, sample);
    lo2.label = "complete";
    auto done = run_load(t.endpoint, lo2,
                         [body](connection& c, std::uint64_t seq) -> asio::awaitable<unit_outcome> {
                           if (seq >= body->size()) co_return unit_outcome{"extra", true};
                           co_return outcome_of(co_await c.exchange((*body)[seq]), 200);
                         });
    report.figure("sample_completed", static_cast<double>(done.outcomes["200"]));
    report.figure("sample_complete_p99_ms", done.latency.quantile(0.99) / 1e6);
    report.figure("sample_total_s", seconds_since(restart));
  }
  report.server_after = sample_process(t.pid);
  report.have_server = report.server_before.ok && report.server_after.ok;
  report.cpu_window_s = seconds_since(restart);
  report.mode =
      fmt::format("{} processes waiting at an external step, kill -9, restart", ids.size());
  t.spawned->stop();
  return report;
}

// ---- memory ---------------------------------------------------------------------------------

run_report run_memory(const bench_options& options) {
  require_spawned(options);
  run_report report;
  report.scenario = "memory";
  report.label = options.load.label;
  auto n = options.populate ? options.populate : 100'000;
  auto t = open_target(
      options, {{"BATON_ENGINE__PASSIVATE_AFTER_MS", std::to_string(options.passivate_ms)}});
  std::this_thread::sleep_for(seconds(1));
  auto idle = sample_process(t.pid);
  report.server_before = idle;
  report.figure("rss_idle_mb", idle.rss_kb / 1024.0);

  auto populate_from = steady::now();
  auto ids = populate_processes(options, t, "BenchExternal", n);
  report.figure("populated", static_cast<double>(ids.size()));
  report.figure("populate_per_s", ids.size() / std::max(seconds_since(populate_from), 1e-3));
  auto loaded = sample_process(t.pid);
  report.figure("rss_loaded_mb", loaded.rss_kb / 1024.0);

  // Wait for every process actor to leave memory, then for the allocator to settle.
  auto wait_from = steady::now();
  double live = -1;
  while (seconds_since(wait_from) < 300) {
    auto m = scrape_metrics(t.endpoint, options.api_key);
    live = m["baton_process_actors_live"];
    if (m.ok && live <= 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  report.figure("passivation_s", seconds_since(wait_from));
  report.figure("actors_live", live);
  std::this_thread::sleep_for(seconds(2));
  auto settled = sample_process(t.pid);
  // RocksDB's memtables hold the records written since the last flush, whatever their
  // number (the WAL cap bounds them): part of the RSS, but not a cost per process. Whether a
  // run of n processes crossed the flush point decides how much of it is there.
  auto memtables = scrape_metrics(t.endpoint, options.api_key)["baton_store_memtable_bytes"];
  report.server_after = settled;
  report.have_server = idle.ok && settled.ok;
  report.cpu_window_s = seconds_since(populate_from);
  auto per = [&](std::uint64_t kb) {
    return ids.empty() ? 0.0 : (static_cast<double>(kb) - idle.rss_kb) * 1024.0 / ids.size();
  };
  report.figure("rss_passivated_mb", settled.rss_kb / 1024.0);
  report.figure("rss_peak_mb", settled.hwm_kb / 1024.0);
  report.figure("bytes_per_process_loaded", per(loaded.rss_kb));
  report.figure("bytes_per_process_passivated", per(settled.rss_kb));
  report.figure("memtable_mb", memtables / 1e6);
  report.figure("bytes_per_process_passivated_beyond_memtables",
                per(settled.rss_kb) - (ids.empty() ? 0.0 : memtables / ids.size()));
  report.mode = fmt::format("{} processes waiting at an external step, passivate after {} ms",
                            ids.size(), options.passivate_ms);
  t.spawned->stop();
  return report;
}

// ---- disk -----------------------------------------------------------------------------------

run_report run_disk(const bench_options& options) {
  run_report report;
  report.scenario = "disk";
  report.label = options.load.label;
  // What a synced WAL write costs here: small appends, each followed by fdatasync, in the
  // folder the servers' data goes to. It bounds every durable scenario: with one commit in
  // flight at a time and one request per connection, starts/s <= connections / sync time.
  auto root =
      options.data_root.empty() ? std::filesystem::temp_directory_path() : options.data_root;
  auto path = root / fmt::format("baton-bench-fsync-{}", ::getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw std::runtime_error("disk: cannot create " + path.string());
  std::string record(300, 'x');
  histogram h;
  auto from = steady::now();
  auto limit = std::chrono::duration<double>(options.load.duration).count();
  while (seconds_since(from) < limit &&
         (options.load.count == 0 || h.count() < options.load.count)) {
    if (::write(fd, record.data(), record.size()) < 0) break;
    auto t = steady::now();
    ::fdatasync(fd);
    h.record(static_cast<std::uint64_t>((steady::now() - t).count()));
  }
  auto elapsed = seconds_since(from);
  ::close(fd);
  std::filesystem::remove(path);
  report.mode = fmt::format("{}-byte appends + fdatasync in {}", record.size(), root.string());
  report.figure("syncs", static_cast<double>(h.count()));
  report.figure("syncs_per_s", h.count() / std::max(elapsed, 1e-3));
  report.figure("sync_p50_ms", h.quantile(0.5) / 1e6);
  report.figure("sync_p90_ms", h.quantile(0.9) / 1e6);
  report.figure("sync_p99_ms", h.quantile(0.99) / 1e6);
  report.figure("sync_max_ms", h.max() / 1e6);
  report.figure("bound_commits_per_s", h.quantile(0.5) ? 1e9 / h.quantile(0.5) : 0);
  report.figure("bound_starts_per_s_at_connections",
                h.quantile(0.5) ? options.load.connections * 1e9 / h.quantile(0.5) : 0);
  return report;
}

}  // namespace baton::bench
