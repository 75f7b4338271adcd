#include "actors/cluster_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>

namespace baton::actors {

namespace etcd = outgoing::etcd;
using storage::status;
using storage::storage_errc;

namespace {

constexpr std::string_view applied_key = "cluster-applied-revision";  // in `meta`

std::string hex(std::int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string padded(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llu", static_cast<unsigned long long>(v));
  return buf;
}

status refused(std::string why) { return {storage_errc::not_owner, std::move(why)}; }
status unreachable(std::string why) { return {storage_errc::busy, std::move(why)}; }

}  // namespace

cluster_log::cluster_log(cluster_member& member, storage::db& db)
    : member_(member),
      db_(db),
      log_prefix_(member.prefix() + "log/"),
      patience_(2 * member.lease_duration()) {}

cluster_log::~cluster_log() {
  watch_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  if (applier_.joinable()) applier_.join();
}

cluster_log::floor_check cluster_log::check_floor() const {
  floor_check out;
  auto stored = db_.get(storage::cf::meta, applied_key);
  if (!stored.ok()) {
    out.error = "cannot read the applied revision: " + stored.error().describe();
    return out;
  }
  if (const auto& text = stored.value()) {
    std::from_chars(text->data(), text->data() + text->size(), out.applied);
  }
  auto floor = etcd::wait<etcd::range_result>(
      [&](auto cb) { member_.etcd().range(member_.prefix() + "log-floor", {}, 0, 0, cb); });
  if (!floor.ok()) {
    out.error = "cannot read the cluster's log: " + floor.error().message;
    return out;
  }
  if (!floor->kvs.empty()) {
    const auto& text = floor->kvs.front().value;
    std::from_chars(text.data(), text.data() + text.size(), out.floor);
  }
  return out;
}

std::string cluster_log::start() {
  auto stands = check_floor();
  if (!stands.error.empty()) return stands.error;
  // Below the floor the log is gone (`cluster_trimmer`): a store behind it cannot catch up.
  if (stands.behind()) {
    return "the cluster's log is trimmed up to revision " + std::to_string(stands.floor) +
           " and this node's store holds it only up to " + std::to_string(stands.applied) +
           ", and no other node could give a copy of its store: start this node when another "
           "one is up, or from a copy of another node's data folder (`baton db backup`)";
  }
  const auto applied = stands.applied;
  {
    std::lock_guard lock(mutex_);
    applied_revision_ = applied;
  }
  // Everything in the log beyond this store, in revision order.
  auto all = etcd::wait<etcd::range_result>(
      [&](auto cb) { member_.etcd().range(log_prefix_, etcd::prefix_end(log_prefix_), 0, 0, cb); });
  if (!all.ok()) return "cannot read the cluster's log: " + all.error().message;
  auto& kvs = all->kvs;
  std::sort(kvs.begin(), kvs.end(),
            [](const auto& a, const auto& b) { return a.mod_revision < b.mod_revision; });
  std::size_t caught_up = 0;
  for (const auto& kv : kvs) {
    if (kv.mod_revision <= applied) continue;
    if (!apply(kv.mod_revision, kv.value)) return "cannot apply the cluster's log to the store";
    ++caught_up;
  }
  if (caught_up > 0) spdlog::info("cluster: applied {} log entries to catch up", caught_up);
  {
    std::lock_guard lock(mutex_);
    seen_ = all->header_revision;
  }
  // The whole cluster prefix, not only the log: ownership changes advance `seen` too, which
  // is how a new owner knows it has applied everything before its epoch.
  const auto& prefix = member_.prefix();
  watch_ = member_.etcd().watch(
      prefix, etcd::prefix_end(prefix), all->header_revision + 1,
      [this](etcd::result<std::vector<etcd::event>> events) {
        if (!events.ok()) {
          std::lock_guard lock(mutex_);
          broken_ = true;
          advanced_.notify_all();
          spdlog::error(
              "cluster: the log cannot be followed any more ({}): this node "
              "acknowledges no more writes; restart it",
              events.error().message);
          return;
        }
        if (events->empty()) return;
        arrival a;
        a.revision = events->back().kv.mod_revision;
        for (auto& e : *events) {
          if (e.type == etcd::event::kind::put && e.kv.key.starts_with(log_prefix_))
            a.entries.emplace_back(e.kv.mod_revision, std::move(e.kv.value));
        }
        std::lock_guard lock(mutex_);
        arrivals_.push_back(std::move(a));
        arrived_.notify_one();
      });
  applier_ = std::thread([this] { run_applier(); });
  return {};
}

void cluster_log::run_applier() {
  std::vector<arrival> taken;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      arrived_.wait(lock, [this] { return stopping_ || !arrivals_.empty(); });
      if (stopping_) return;
      taken.swap(arrivals_);
    }
    for (const auto& a : taken) {
      for (const auto& [revision, value] : a.entries) {
        if (!apply(revision, value)) {
          std::lock_guard lock(mutex_);
          broken_ = true;
          advanced_.notify_all();
          return;
        }
      }
      std::lock_guard lock(mutex_);
      seen_ = std::max(seen_, a.revision);
      advanced_.notify_all();
    }
    taken.clear();
  }
}

bool cluster_log::apply(std::int64_t revision, std::string_view packed) {
  auto entry = storage::batch::unpack(packed);
  if (!entry) {
    spdlog::error("cluster: log entry at revision {} does not unpack; skipped", revision);
    return true;
  }
  storage::batch mark;
  mark.put(storage::cf::meta, applied_key, std::to_string(revision));
  // Not synced: etcd holds the entry durably (a quorum's fsync), and the applied revision
  // goes in the same write, so after a machine's crash the node applies again from wherever
  // its store got to. `durable_applied` syncs before the revision is promised to anyone.
  if (auto written = db_.write_all_unsynced({&*entry, &mark}); !written.ok()) {
    spdlog::error("cluster: cannot apply the log entry at revision {}: {}", revision,
                  written.describe());
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    ++applied_entries_;
    applied_revision_ = revision;
  }
  std::lock_guard calling(hooks_mutex_);
  for (const auto& [family, then] : hooks_)
    if (entry->touches(family)) then();
  return true;
}

bool cluster_log::wait_seen(std::int64_t revision, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return advanced_.wait_for(lock, timeout, [&] { return broken_ || seen_ >= revision; }) &&
         !broken_;
}

std::vector<status> cluster_log::replicate(const std::vector<const storage::batch*>& batches) {
  std::vector<status> out(batches.size());
  const auto lease = member_.lease();
  std::map<std::uint32_t, std::int64_t> fences;  // partition → epoch
  std::vector<const storage::batch*> included;
  std::vector<std::size_t> included_at;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto& scope = batches[i]->scope();
    if (lease == 0) {
      out[i] = refused("this node is not a member of the cluster at the moment");
      continue;
    }
    if (scope.partition == storage::write_scope::unassigned) {
      spdlog::error("cluster: a write without a partition was refused (a defect)");
      out[i] = unreachable("a write could not be placed in the cluster");
      continue;
    }
    if (batches[i]->empty()) continue;  // e.g. the engine's flush marker: nothing to append
    if (scope.partition != storage::write_scope::cluster_wide) {
      auto p = scope.partition;
      auto epoch = member_.epoch_of(p);
      if (!epoch || (scope.epoch != 0 && scope.epoch != *epoch)) {
        auto [owner, api] = member_.owner_of(p);
        out[i] = refused(epoch ? "partition " + std::to_string(p) + " changed owners meanwhile"
                         : owner.empty()
                             ? "partition " + std::to_string(p) + " has no owner at the moment"
                             : "partition " + std::to_string(p) + " is owned by node " + owner +
                                   (api.empty() ? "" : " (" + api + ")"));
        continue;
      }
      // The previous owner's last writes first.
      if (!wait_seen(*epoch, patience_)) {
        out[i] = unreachable("partition " + std::to_string(p) + " is still being taken over");
        continue;
      }
      fences[p] = *epoch;
    }
    included.push_back(batches[i]);
    included_at.push_back(i);
  }
  if (included.empty()) return out;

  const auto key = log_prefix_ + member_.node() + "/" + hex(lease) + "/" + padded(next_entry_++);
  etcd::txn_request t;
  t.compare.push_back(
      etcd::compare::lease_of(member_.live_key(), etcd::compare_result::equal, lease));
  for (auto [p, epoch] : fences) {
    t.compare.push_back(
        etcd::compare::create_revision(member_.owner_key(p), etcd::compare_result::equal, epoch));
  }
  t.success.push_back(etcd::op::put(key, storage::batch::pack_all(included)));
  auto began = std::chrono::steady_clock::now();
  auto appended =
      etcd::wait<etcd::txn_result>([&](auto cb) { member_.etcd().txn(std::move(t), cb); });
  std::int64_t revision = 0;
  status failed;
  if (appended.ok() && appended->succeeded) {
    revision = appended->header_revision;
  } else if (appended.ok()) {
    failed = refused("this node's ownership changed before the write; it was not made");
  } else {
    // The outcome is unknown (a member died mid-request, or a retry lost the first answer):
    // the key says whether it happened.
    auto back =
        etcd::wait<etcd::range_result>([&](auto cb) { member_.etcd().range(key, {}, 0, 0, cb); });
    if (back.ok() && !back->kvs.empty()) {
      revision = back->kvs.front().mod_revision;
    } else {
      failed = unreachable("the cluster's log could not be reached: " + appended.error().message);
    }
  }
  if (revision != 0 && !wait_seen(revision, patience_)) {
    // In the log, so it will be applied everywhere; but not here in time to answer.
    failed = unreachable("the write is in the cluster's log but was not applied here in time");
  }
  {
    std::lock_guard lock(mutex_);
    if (revision != 0) ++appended_;
    if (!failed.ok() && failed.code() == storage_errc::not_owner) ++fenced_;
    last_append_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - began)
                          .count();
  }
  if (!failed.ok()) {
    for (auto i : included_at) out[i] = failed;
  }
  return out;
}

void cluster_log::on_applied(storage::cf family, std::function<void()> then) {
  std::lock_guard calling(hooks_mutex_);
  std::erase_if(hooks_, [&](const auto& hook) { return hook.first == family; });
  if (then) hooks_.emplace_back(family, std::move(then));
}

std::int64_t cluster_log::durable_applied() {
  std::int64_t applied = 0;
  {
    std::lock_guard lock(mutex_);
    applied = applied_revision_;
  }
  if (auto synced = db_.sync_log(); !synced.ok()) {
    spdlog::warn("cluster: cannot sync the store's log: {}", synced.describe());
    return 0;
  }
  return applied;
}

std::int64_t cluster_log::seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

void cluster_log::collect_metrics(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# TYPE baton_cluster_log_appends_total counter\nbaton_cluster_log_appends_total " +
         std::to_string(appended_) + "\n";
  out += "# TYPE baton_cluster_log_applied_total counter\nbaton_cluster_log_applied_total " +
         std::to_string(applied_entries_) + "\n";
  out += "# TYPE baton_cluster_log_fenced_total counter\nbaton_cluster_log_fenced_total " +
         std::to_string(fenced_) + "\n";
  out += "# TYPE baton_cluster_log_append_seconds gauge\nbaton_cluster_log_append_seconds " +
         std::to_string(static_cast<double>(last_append_us_) / 1e6) + "\n";
  out += "# TYPE baton_cluster_log_seen_revision gauge\nbaton_cluster_log_seen_revision " +
         std::to_string(seen_) + "\n";
}

}  // namespace baton::actors
