#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace baton::http {

/// HTTP request metrics in the Prometheus text format (version 0.0.4):
///   baton_http_requests_total{route,status}            counter
///   baton_http_request_duration_seconds{route}         histogram (_bucket, _sum, _count)
///   baton_http_connections_open / _connections_total   gauge / counter
///   baton_http_connections_refused_total               counter (over http.max_connections)
///   baton_http_slow_readers_closed_total               counter (answers not taken in time)
///   baton_http_buffered_answer_bytes                   gauge (answers waiting to be written)
/// followed by whatever the collectors append.
///
/// `record` is called on every request, so it touches only counters owned by the calling
/// thread (created once per thread and route); `render` merges them. No lock is shared by
/// two threads on the hot path.
class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// Counts one answered request. `route` is the matched pattern (a bounded set of labels,
  /// never the raw path) or "unmatched"; `elapsed` runs from the end of the read to the
  /// answer. Thread-safe.
  void record(std::string_view route, unsigned status, std::chrono::nanoseconds elapsed);

  void connection_opened();
  void connection_closed();
  /// A connection turned away at once because `http.max_connections` were open.
  void connection_refused();
  /// A connection closed because its client did not take its answers in time.
  void slow_reader_closed();

  /// Adds `delta` (negative: written or dropped) to the answer bytes waiting in every
  /// connection's queue. @returns the new total. Thread-safe.
  std::int64_t add_buffered_answer_bytes(std::int64_t delta);
  std::int64_t buffered_answer_bytes() const;

  /// Adds text produced by `collector` at the end of every `render`, e.g. gauges of other
  /// modules. The collector appends complete lines (with `# TYPE`) to `out`; it runs on the
  /// rendering thread and must be thread-safe itself. Thread-safe.
  void add_collector(std::function<void(std::string& out)> collector);

  /// The full exposition text. Thread-safe.
  std::string render() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The Content-Type of `metrics::render()`'s text.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace baton::http
