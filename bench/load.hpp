#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/client.hpp"
#include "bench/histogram.hpp"

namespace baton::bench {

/// How one unit of work ended. A unit is one or more requests on one connection (a start,
/// or a start and its completion) and is what throughput and latency count.
struct unit_outcome {
  std::string key;  ///< what to count it under: "201", "409", "read: timeout", ...
  bool ok = false;  ///< counted as done, and its latency recorded
};

/// Runs one unit on `conn`. `seq` numbers the units of a run from 0. Called from several
/// threads when `threads > 1`: it must only read shared state or use atomics.
using unit_fn = std::function<asio::awaitable<unit_outcome>(connection& conn, std::uint64_t seq)>;

/// The outcome of one exchange as a unit outcome: ok when the status is the expected one.
unit_outcome outcome_of(const http_reply& reply, unsigned expected);

struct load_options {
  std::size_t connections = 64;
  std::size_t threads = 2;
  double rate = 0;  ///< units per second, open loop; 0: closed loop
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::uint64_t count = 0;  ///< when set, stop after this many measured units instead
  std::chrono::nanoseconds warmup = std::chrono::seconds(2);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  bool progress = true;  ///< one line per second on stderr
  std::string label;     ///< shown in the progress line
  /// Called on the control thread as the measured window opens and as it closes (within
  /// 20 ms), so that server figures cover the window and not the warm-up or the drain.
  std::function<void()> on_window_open;
  std::function<void()> on_window_close;
};

/// One second of the measured window.
struct second_stats {
  double t = 0;     ///< seconds since the window opened, at the end of this second
  double rate = 0;  ///< ok units per second in this second
  std::uint64_t done = 0;
  std::uint64_t errors = 0;
  std::uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0;
};

struct load_result {
  double window_s = 0;         ///< length of the measured window
  std::uint64_t done = 0;      ///< ok units that finished inside the window
  std::uint64_t errors = 0;    ///< failed units that finished after the warm-up
  std::uint64_t not_sent = 0;  ///< open loop: units due before the end that no connection took
  std::uint64_t connects = 0;  ///< TCP connections opened (== connections when keep-alive holds)
  std::map<std::string, std::uint64_t> outcomes;  ///< every unit finished after the warm-up
  /// Ok units due inside the window; open loop: from the intended time, and units never sent
  /// count with how late they were at the end (a lower bound).
  histogram latency;
  std::vector<second_stats> timeline;
  double throughput() const { return window_s > 0 ? done / window_s : 0; }
};

/// Drives `unit` over `options.connections` keep-alive connections to `server`.
///
/// Closed loop: each connection runs units back to back. Open loop: unit i is due at
/// start + i / rate; a free connection takes the next due unit and waits for its time, and
/// latency runs from that due time, so a stalled server is charged for the requests it
/// delayed (no coordinated omission). Units due in the warm-up are run but not measured.
load_result run_load(const tcp::endpoint& server, const load_options& options, const unit_fn& unit);

/// "12.3 ms", "850 us": a duration for people.
std::string format_ns(std::uint64_t ns);

}  // namespace baton::bench
