#include "bench/load.hpp"

#include <fmt/core.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>

namespace baton::bench {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

/// What every worker thread shares. Times are fixed before the workers start, except
/// `window_end` in count mode, which the unit that reaches the count sets.
struct shared_run {
  shared_run(const load_options& o, const unit_fn& u) : options(o), unit(u) {}
  const load_options& options;
  const unit_fn& unit;
  clock::time_point t0;                                ///< the first unit is due
  clock::time_point window_start;                      ///< end of warm-up
  std::atomic<std::int64_t> window_end_ns{INT64_MAX};  ///< since t0; count mode: set at the end
  std::atomic<std::uint64_t> next_seq{0};
  std::atomic<std::uint64_t> measured_started{0};
  std::atomic<std::uint64_t> measured_finished{0};
  std::atomic<std::uint64_t> not_sent{0};

  /// True once `t` is at or past the end of the window (never, while it is unknown).
  bool ended_by(clock::time_point t) const { return (t - t0).count() >= window_end_ns.load(); }
  clock::time_point window_end() const { return t0 + nanoseconds(window_end_ns.load()); }
};

/// One thread's connections and counters. The mutex is uncontended except when the
/// progress line reads the last second.
struct worker {
  asio::io_context io{1};
  std::vector<std::unique_ptr<connection>> connections;
  std::mutex mutex;
  histogram latency;
  std::vector<std::unique_ptr<histogram>> seconds;  ///< latency by completion second
  std::vector<std::uint64_t> second_errors;
  std::map<std::string, std::uint64_t> outcomes;
  std::uint64_t errors = 0;
  std::atomic<std::uint64_t> finished{0};  ///< every unit, warm-up included, for progress
  std::atomic<std::uint64_t> failed{0};

  histogram& second(std::size_t s) {
    while (seconds.size() <= s) {
      seconds.push_back(std::make_unique<histogram>());
      second_errors.push_back(0);
    }
    return *seconds[s];
  }
};

/// Throughput, outcomes and the timeline count every unit that finishes inside the window;
/// the latency histogram takes only units due inside it, so that warm-up backlog is not
/// charged twice. In an open loop that falls behind the two differ, and both are true.
void record(worker& w, shared_run& run, clock::time_point intended, clock::time_point done,
            const unit_outcome& outcome) {
  w.finished.fetch_add(1, std::memory_order_relaxed);
  if (!outcome.ok) w.failed.fetch_add(1, std::memory_order_relaxed);
  bool due_inside = intended >= run.window_start;
  auto count = run.options.count;
  if (due_inside && count > 0 &&
      run.measured_finished.fetch_add(1, std::memory_order_relaxed) + 1 == count) {
    run.window_end_ns = (done - run.t0).count();  // the window closes with the count-th unit
  }
  if (done < run.window_start) return;  // warm-up
  std::lock_guard lock{w.mutex};
  ++w.outcomes[outcome.key];
  auto sec = static_cast<std::size_t>((done - run.window_start) / std::chrono::seconds(1));
  if (!outcome.ok) {
    ++w.errors;
    w.second(sec);
    ++w.second_errors[sec];
    return;
  }
  auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>((done - intended).count(), 0));
  if (due_inside) w.latency.record(ns);
  w.second(sec).record(ns);
}

asio::awaitable<void> drive(worker& w, connection& conn, shared_run& run) {
  constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
  const auto& opt = run.options;
  asio::steady_timer timer(w.io);
  const bool open_loop = opt.rate > 0;
  for (;;) {
    auto seq = run.next_seq.fetch_add(1, std::memory_order_relaxed);
    auto now = clock::now();
    auto intended = now;
    if (open_loop) {
      intended = run.t0 + nanoseconds(static_cast<std::int64_t>(seq * 1e9 / opt.rate));
      if (run.ended_by(intended)) co_return;
      if (run.ended_by(now)) {
        // Due in time, but the end came before a connection was free for it: it is at
        // least this late, and leaving it out would hide exactly the overload.
        run.not_sent.fetch_add(1, std::memory_order_relaxed);
        if (intended >= run.window_start) {
          std::lock_guard lock{w.mutex};
          w.latency.record(static_cast<std::uint64_t>((now - intended).count()));
        }
        continue;
      }
      if (intended > now) {
        timer.expires_at(intended);
        co_await timer.async_wait(nothrow);
      }
    } else if (run.ended_by(now)) {
      co_return;
    }
    if (opt.count > 0) {
      // Enough measured units are under way. Without warm-up the unit numbers themselves
      // are the count, so that units 0..count-1 run exactly once whatever the threads.
      bool enough = opt.warmup.count() == 0 ? seq >= opt.count
                                            : intended >= run.window_start &&
                                                  run.measured_started.fetch_add(
                                                      1, std::memory_order_relaxed) >= opt.count;
      if (enough) co_return;
    }
    auto outcome = co_await run.unit(conn, seq);
    auto done = clock::now();
    record(w, run, intended, done, outcome);
  }
}

std::string status_line(const std::vector<std::unique_ptr<worker>>& workers, shared_run& run,
                        std::uint64_t& last_total, std::size_t second) {
  std::uint64_t total = 0, failed = 0;
  histogram last;
  for (auto& w : workers) {
    total += w->finished.load(std::memory_order_relaxed);
    failed += w->failed.load(std::memory_order_relaxed);
    std::lock_guard lock{w->mutex};
    if (second < w->seconds.size()) last.merge(*w->seconds[second]);
  }
  auto rate = total - last_total;
  last_total = total;
  bool warm = clock::now() < run.window_start;
  return fmt::format("{:>8}{:>9} units/s  p50 {:>9}  p99 {:>9}  total {:>9}  errors {}",
                     warm ? "warm-up" : "", rate,
                     last.count() ? format_ns(last.quantile(0.5)) : "-",
                     last.count() ? format_ns(last.quantile(0.99)) : "-", total, failed);
}

}  // namespace

unit_outcome outcome_of(const http_reply& reply, unsigned expected) {
  if (!reply.ok()) return {reply.error, false};
  return {std::to_string(reply.status), reply.status == expected};
}

std::string format_ns(std::uint64_t ns) {
  if (ns >= 10'000'000'000ull) return fmt::format("{:.1f} s", ns / 1e9);
  if (ns >= 1'000'000'000ull) return fmt::format("{:.2f} s", ns / 1e9);
  if (ns >= 10'000'000) return fmt::format("{:.1f} ms", ns / 1e6);
  if (ns >= 1'000'000) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 1'000) return fmt::format("{:.0f} us", ns / 1e3);
  return fmt::format("{} ns", ns);
}

load_result run_load(const tcp::endpoint& server, const load_options& opt, const unit_fn& unit) {
  auto threads = std::max<std::size_t>(1, std::min(opt.threads, opt.connections));
  std::vector<std::unique_ptr<worker>> workers;
  for (std::size_t i = 0; i < threads; ++i) workers.push_back(std::make_unique<worker>());
  for (std::size_t i = 0; i < opt.connections; ++i) {
    auto& w = *workers[i % threads];
    w.connections.push_back(std::make_unique<connection>(w.io, server, opt.timeout));
  }

  shared_run run(opt, unit);
  run.t0 = clock::now();
  run.window_start = run.t0 + opt.warmup;
  if (opt.count == 0) run.window_end_ns = (opt.warmup + opt.duration).count();

  for (auto& w : workers) {
    for (auto& c : w->connections) {
      // The connection's deadline timer would keep the io_context running after the loop.
      asio::co_spawn(w->io, drive(*w, *c, run), [&conn = *c](std::exception_ptr) { conn.stop(); });
    }
  }
  std::vector<std::thread> pool;
  std::atomic<std::size_t> running{threads};
  for (auto& w : workers) {
    pool.emplace_back([&w, &running] {
      w->io.run();
      running.fetch_sub(1);
    });
  }

  // Progress on this thread while the workers run.
  std::uint64_t last_total = 0;
  auto next_tick = run.t0 + std::chrono::seconds(1);
  std::size_t tick = 0;
  bool opened = false, closed = false;
  auto hooks = [&] {
    auto now = clock::now();
    if (!opened && now >= run.window_start) {
      opened = true;
      if (opt.on_window_open) opt.on_window_open();
    }
    if (opened && !closed && run.ended_by(now)) {
      closed = true;
      if (opt.on_window_close) opt.on_window_close();
    }
  };
  hooks();
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(opt.warmup.count() > 0 ? 20 : 2));
    hooks();
    if (clock::now() >= next_tick) {
      next_tick += std::chrono::seconds(1);
      ++tick;
      if (opt.progress) {
        // The second that just ended, by completion time within the window.
        auto since = clock::now() - run.window_start;
        auto sec = since.count() > 0 ? static_cast<std::size_t>(since / std::chrono::seconds(1))
                                     : SIZE_MAX;
        auto line =
            status_line(workers, run, last_total, sec == 0 || sec == SIZE_MAX ? SIZE_MAX : sec - 1);
        fmt::print(stderr, "\r[{}{:>4}s]{}", opt.label.empty() ? "" : opt.label + " ", tick, line);
        std::fflush(stderr);
      }
    }
  }
  for (auto& t : pool) t.join();
  hooks();
  if (!opened && opt.on_window_open) opt.on_window_open();  // an empty window
  if (!closed && opt.on_window_close) opt.on_window_close();
  if (opt.progress) fmt::print(stderr, "\n");

  load_result result;
  // A count that was never reached (the server failed units): the window ends now.
  if (run.window_end_ns.load() == INT64_MAX) run.window_end_ns = (clock::now() - run.t0).count();
  auto window_end = run.window_end();
  result.window_s = std::chrono::duration<double>(window_end - run.window_start).count();
  result.not_sent = run.not_sent.load();
  auto window_seconds = static_cast<std::size_t>(std::ceil(std::max(result.window_s, 0.0) - 1e-9));
  std::vector<histogram> per_second(window_seconds);
  std::vector<std::uint64_t> per_second_errors(window_seconds, 0);
  for (auto& w : workers) {
    result.latency.merge(w->latency);
    result.errors += w->errors;
    for (auto& [k, n] : w->outcomes) result.outcomes[k] += n;
    for (auto& c : w->connections) result.connects += c->connects();
    for (std::size_t s = 0; s < w->seconds.size() && s < window_seconds; ++s) {
      per_second[s].merge(*w->seconds[s]);
      per_second_errors[s] += w->second_errors[s];
    }
  }
  for (std::size_t s = 0; s < window_seconds; ++s) {
    auto& h = per_second[s];
    result.done += h.count();
    // A partial last second is a rate over its own length.
    double end = std::min<double>(s + 1, result.window_s);
    double length = std::max(end - s, 1e-3);
    result.timeline.push_back({end, h.count() / length, h.count(), per_second_errors[s],
                               h.quantile(0.5), h.quantile(0.9), h.quantile(0.99), h.max()});
  }
  return result;
}

}  // namespace baton::bench
