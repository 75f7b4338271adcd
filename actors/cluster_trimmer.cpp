#include "actors/cluster_trimmer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace baton::actors {

namespace etcd = outgoing::etcd;

namespace {

/// etcd takes at most 128 operations per transaction by default.
constexpr std::int64_t deletes_per_txn = 100;

std::int64_t number(std::string_view text) {
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

}  // namespace

cluster_trimmer::cluster_trimmer(cluster_member& member, cluster_log& log,
                                 std::chrono::milliseconds period)
    : member_(member), log_(log), period_(period), thread_([this] { run(); }) {}

cluster_trimmer::~cluster_trimmer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void cluster_trimmer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, period_, [this] { return stopping_; })) return;
    }
    report_applied();
    if (member_.epoch_of(0)) trim();
    measure();
  }
}

void cluster_trimmer::report_applied() {
  // What the store holds, not what the watch has seen: a restarted node goes on from there.
  auto seen = log_.durable_applied();
  if (seen <= reported_) return;
  auto put = etcd::wait<etcd::put_result>([&](auto cb) {
    member_.etcd().put(member_.prefix() + "applied/" + member_.node(), std::to_string(seen), 0, cb);
  });
  if (put.ok()) reported_ = seen;
}

std::int64_t cluster_trimmer::floor() const {
  const auto& prefix = member_.prefix();
  auto read = [&](const std::string& what) {
    return etcd::wait<etcd::range_result>([&](auto cb) {
      member_.etcd().range(prefix + what, etcd::prefix_end(prefix + what), 0, 0, cb);
    });
  };
  auto members = read("members/");
  auto applied = read("applied/");
  if (!members.ok() || !applied.ok() || members->kvs.empty()) return 0;
  std::map<std::string, std::int64_t> by_node;
  for (const auto& kv : applied->kvs) by_node[kv.key.substr(prefix.size() + 8)] = number(kv.value);
  std::int64_t lowest = INT64_MAX;
  for (const auto& kv : members->kvs) {
    auto it = by_node.find(kv.key.substr(prefix.size() + 8));
    if (it == by_node.end()) return 0;  // a member that has not said yet holds everything
    lowest = std::min(lowest, it->second);
  }
  return lowest;
}

void cluster_trimmer::trim() {
  const auto lowest = floor();
  if (lowest <= trimmed_to_) return;
  const auto& prefix = member_.prefix();
  // The floor first: a node below it that starts now is told, never half caught up.
  auto marked = etcd::wait<etcd::put_result>(
      [&](auto cb) { member_.etcd().put(prefix + "log-floor", std::to_string(lowest), 0, cb); });
  if (!marked.ok()) return;
  floor_ = lowest;
  const auto log = prefix + "log/";
  for (;;) {
    auto old = etcd::wait<etcd::range_result>([&](auto cb) {
      member_.etcd().range_keys_written_by(log, etcd::prefix_end(log), lowest, deletes_per_txn, cb);
    });
    if (!old.ok()) return;
    if (old->kvs.empty()) break;
    etcd::txn_request t;
    for (const auto& kv : old->kvs) t.success.push_back(etcd::op::delete_range(kv.key));
    auto deleted =
        etcd::wait<etcd::txn_result>([&](auto cb) { member_.etcd().txn(std::move(t), cb); });
    if (!deleted.ok()) return;
    trimmed_entries_ += old->kvs.size();
  }
  // History below the floor is no one's any more: every watch starts above it.
  auto compacted = etcd::wait<etcd::done>([&](auto cb) { member_.etcd().compact(lowest, cb); });
  if (!compacted.ok())
    spdlog::warn("cluster: compacting etcd's history at revision {}: {}", lowest,
                 compacted.error().message);
  trimmed_to_ = lowest;
}

void cluster_trimmer::measure() {
  auto status = etcd::wait<etcd::status_result>([&](auto cb) { member_.etcd().status(cb); });
  if (status.ok()) db_bytes_ = status->db_size;
}

void cluster_trimmer::collect_metrics(std::string& out) const {
  out += "# TYPE baton_cluster_log_floor_revision gauge\nbaton_cluster_log_floor_revision " +
         std::to_string(floor_.load()) + "\n";
  out += "# TYPE baton_cluster_log_trimmed_total counter\nbaton_cluster_log_trimmed_total " +
         std::to_string(trimmed_entries_.load()) + "\n";
  out += "# TYPE baton_cluster_etcd_db_bytes gauge\nbaton_cluster_etcd_db_bytes " +
         std::to_string(db_bytes_.load()) + "\n";
}

}  // namespace baton::actors
