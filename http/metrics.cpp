#include "http/metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace baton::http {

namespace {

using counter = std::atomic<std::uint64_t>;

/// Upper bounds of the latency buckets; +Inf is implicit.
constexpr std::array<std::int64_t, 16> bucket_bounds_ns{
    100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
    10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
constexpr std::array<std::string_view, 16> bucket_labels{
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};

struct status_count {
  explicit status_count(unsigned s) : status(s) {}
  const unsigned status;
  counter count{0};
};

/// One route's counters on one thread. Only the owning thread writes; it adds a status
/// entry under the shard's mutex so that `render` can walk the vector safely.
struct series {
  std::vector<std::unique_ptr<status_count>> statuses;
  std::array<counter, bucket_bounds_ns.size() + 1> buckets{};
  counter sum_ns{0};
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct shard {
  std::mutex structure;  ///< taken by the owner only to add, and by render to read
  std::unordered_map<std::string, std::unique_ptr<series>, string_hash, std::equal_to<>> routes;
};

void bump(counter& c, std::uint64_t by = 1) {
  // Single writer per counter: a relaxed load and store is enough and avoids a locked
  // read-modify-write on the hot path.
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

std::atomic<std::uint64_t> next_instance{1};

/// The shards this thread owns, by metrics instance id. Ids are never reused, so an entry
/// left by a destroyed instance can never match again.
struct thread_cache {
  std::vector<std::pair<std::uint64_t, shard*>> entries;
};
thread_local thread_cache local_shards;

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

void append_seconds(std::string& out, std::uint64_t ns) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(ns) / 1e9);
  out.append(buf, r.ptr);
}

}  // namespace

struct metrics::impl {
  const std::uint64_t id = next_instance.fetch_add(1);
  mutable std::mutex mutex;  ///< guards shards and collectors; never taken per request
  std::vector<std::unique_ptr<shard>> shards;
  std::vector<std::function<void(std::string&)>> collectors;
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> total_connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> slow_readers_closed{0};
  std::atomic<std::int64_t> buffered_answer_bytes{0};

  shard& local() {
    auto& cache = local_shards.entries;
    for (auto& [instance, s] : cache)
      if (instance == id) return *s;
    std::lock_guard lock{mutex};
    shards.push_back(std::make_unique<shard>());
    // Keep the cache short: a thread that saw many short-lived instances (tests) drops
    // the oldest entries, which can only belong to instances it no longer uses often.
    if (cache.size() >= 8) cache.erase(cache.begin());
    cache.emplace_back(id, shards.back().get());
    return *shards.back();
  }
};

metrics::metrics() : impl_(std::make_unique<impl>()) {}

metrics::~metrics() {
  // Forget this instance's shards in the destroying thread's cache; other threads' entries
  // stay harmless because the id is never reused.
  auto& cache = local_shards.entries;
  std::erase_if(cache, [id = impl_->id](const auto& e) { return e.first == id; });
}

void metrics::record(std::string_view route, unsigned status, std::chrono::nanoseconds elapsed) {
  auto& sh = impl_->local();
  auto it = sh.routes.find(route);
  if (it == sh.routes.end()) {
    std::lock_guard lock{sh.structure};
    it = sh.routes.emplace(std::string{route}, std::make_unique<series>()).first;
  }
  auto& s = *it->second;
  status_count* slot = nullptr;
  for (auto& c : s.statuses)
    if (c->status == status) {
      slot = c.get();
      break;
    }
  if (!slot) {
    std::lock_guard lock{sh.structure};
    s.statuses.push_back(std::make_unique<status_count>(status));
    slot = s.statuses.back().get();
  }
  bump(slot->count);

  auto ns = std::max<std::int64_t>(elapsed.count(), 0);
  auto bucket = static_cast<std::size_t>(
      std::lower_bound(bucket_bounds_ns.begin(), bucket_bounds_ns.end(), ns) -
      bucket_bounds_ns.begin());
  bump(s.buckets[bucket]);
  bump(s.sum_ns, static_cast<std::uint64_t>(ns));
}

void metrics::connection_opened() {
  impl_->open_connections.fetch_add(1, std::memory_order_relaxed);
  impl_->total_connections.fetch_add(1, std::memory_order_relaxed);
}

void metrics::connection_closed() {
  impl_->open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void metrics::connection_refused() {
  impl_->refused_connections.fetch_add(1, std::memory_order_relaxed);
}

void metrics::slow_reader_closed() {
  impl_->slow_readers_closed.fetch_add(1, std::memory_order_relaxed);
}

std::int64_t metrics::add_buffered_answer_bytes(std::int64_t delta) {
  return impl_->buffered_answer_bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
}

std::int64_t metrics::buffered_answer_bytes() const {
  return impl_->buffered_answer_bytes.load(std::memory_order_relaxed);
}

void metrics::add_collector(std::function<void(std::string& out)> collector) {
  std::lock_guard lock{impl_->mutex};
  impl_->collectors.push_back(std::move(collector));
}

std::string metrics::render() const {
  struct merged {
    std::map<unsigned, std::uint64_t> statuses;
    std::array<std::uint64_t, bucket_bounds_ns.size() + 1> buckets{};
    std::uint64_t sum_ns = 0;
  };
  std::map<std::string, merged, std::less<>> routes;
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock{impl_->mutex};
    collectors = impl_->collectors;
    for (const auto& sh : impl_->shards) {
      std::lock_guard shard_lock{sh->structure};
      for (const auto& [route, s] : sh->routes) {
        auto& m = routes[route];
        for (const auto& c : s->statuses)
          m.statuses[c->status] += c->count.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < m.buckets.size(); ++i)
          m.buckets[i] += s->buckets[i].load(std::memory_order_relaxed);
        m.sum_ns += s->sum_ns.load(std::memory_order_relaxed);
      }
    }
  }

  std::string out;
  out.reserve(1024 + routes.size() * 2048);
  out += "# HELP baton_http_requests_total HTTP requests answered, by route pattern and status.\n";
  out += "# TYPE baton_http_requests_total counter\n";
  for (const auto& [route, m] : routes)
    for (const auto& [status, count] : m.statuses) {
      out += "baton_http_requests_total{route=\"";
      append_label_value(out, route);
      out += "\",status=\"";
      append_number(out, status);
      out += "\"} ";
      append_number(out, count);
      out += '\n';
    }

  out += "# HELP baton_http_request_duration_seconds Time from reading a request to its answer.\n";
  out += "# TYPE baton_http_request_duration_seconds histogram\n";
  for (const auto& [route, m] : routes) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m.buckets.size(); ++i) {
      cumulative += m.buckets[i];
      out += "baton_http_request_duration_seconds_bucket{route=\"";
      append_label_value(out, route);
      out += "\",le=\"";
      out += i < bucket_labels.size() ? bucket_labels[i] : std::string_view{"+Inf"};
      out += "\"} ";
      append_number(out, cumulative);
      out += '\n';
    }
    out += "baton_http_request_duration_seconds_sum{route=\"";
    append_label_value(out, route);
    out += "\"} ";
    append_seconds(out, m.sum_ns);
    out += "\nbaton_http_request_duration_seconds_count{route=\"";
    append_label_value(out, route);
    out += "\"} ";
    append_number(out, cumulative);
    out += '\n';
  }

  out += "# HELP baton_http_connections_open Client connections currently open.\n";
  out += "# TYPE baton_http_connections_open gauge\nbaton_http_connections_open ";
  out += std::to_string(impl_->open_connections.load(std::memory_order_relaxed));
  out += "\n# HELP baton_http_connections_total Client connections accepted.\n";
  out += "# TYPE baton_http_connections_total counter\nbaton_http_connections_total ";
  append_number(out, impl_->total_connections.load(std::memory_order_relaxed));
  out +=
      "\n# HELP baton_http_connections_refused_total Connections refused over "
      "http.max_connections.\n";
  out +=
      "# TYPE baton_http_connections_refused_total counter\nbaton_http_connections_refused_total ";
  append_number(out, impl_->refused_connections.load(std::memory_order_relaxed));
  out +=
      "\n# HELP baton_http_slow_readers_closed_total Connections closed for not taking their "
      "answers in time.\n";
  out +=
      "# TYPE baton_http_slow_readers_closed_total counter\nbaton_http_slow_readers_closed_total ";
  append_number(out, impl_->slow_readers_closed.load(std::memory_order_relaxed));
  out += "\n# HELP baton_http_buffered_answer_bytes Answer bytes waiting to be written.\n";
  out += "# TYPE baton_http_buffered_answer_bytes gauge\nbaton_http_buffered_answer_bytes ";
  out += std::to_string(impl_->buffered_answer_bytes.load(std::memory_order_relaxed));
  out += '\n';

  for (const auto& collect : collectors) collect(out);
  return out;
}

}  // namespace baton::http
