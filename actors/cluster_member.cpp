#include "actors/cluster_member.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

namespace baton::actors {

namespace etcd = outgoing::etcd;
using namespace std::chrono_literals;

namespace {

std::optional<std::uint32_t> parse_number(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::int64_t parse_revision(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string describe(const etcd::error& e) {
  return e.message.empty() ? "etcd error " + std::to_string(static_cast<int>(e.code)) : e.message;
}

etcd::options client_options(const config::cluster_settings& s) {
  etcd::options opts;
  opts.endpoints = s.etcd;
  // A blocking call must end well within a lease, or the decisions behind it would be stale.
  opts.request_timeout = std::min<std::chrono::milliseconds>(5s, s.lease / 2);
  return opts;
}

}  // namespace

cluster_member::cluster_member(const config::cluster_settings& settings)
    : cluster_(settings.name),
      node_(settings.node),
      prefix_("/baton/" + settings.name + "/"),
      ttl_s_((settings.lease.count() + 999) / 1000),
      wanted_partitions_(static_cast<std::uint32_t>(settings.partitions)),
      etcd_(etcd::client::create(client_options(settings))) {}

cluster_member::~cluster_member() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  watch_.reset();
  keeper_.reset();
  if (lease_ != 0) {
    // Revoking deletes the live key and every owner key under the lease in one step.
    auto revoked = etcd::wait<etcd::done>([&](auto cb) { etcd_->lease_revoke(lease_, cb); });
    if (revoked.ok()) {
      spdlog::info("cluster: node {} left; its partitions are free", node_);
    } else {
      spdlog::warn(
          "cluster: node {} could not revoke its lease ({}); its partitions move when "
          "it runs out",
          node_, describe(revoked.error()));
    }
  }
  etcd_.reset();
}

std::string cluster_member::owner_key(std::uint32_t p) const {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04u", p);
  return key("owner/") + digits;
}

std::string cluster_member::join() {
  // Form the cluster if nobody has: the partition count is fixed by the first node.
  auto formed = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(
        etcd::compare::create_revision(key("partitions"), etcd::compare_result::equal, 0));
    t.success.push_back(etcd::op::put(key("partitions"), std::to_string(wanted_partitions_)));
    t.failure.push_back(etcd::op::range(key("partitions")));
    etcd_->txn(std::move(t), cb);
  });
  if (!formed.ok()) return "cannot reach etcd: " + describe(formed.error());
  std::uint32_t partitions = wanted_partitions_;
  if (formed->succeeded) {
    spdlog::info("cluster: formed cluster {} with {} partitions", cluster_, partitions);
  } else {
    const auto& kvs = formed->responses.at(0).range.kvs;
    auto stored = kvs.empty() ? std::nullopt : parse_number(kvs.front().value);
    if (!stored || *stored == 0) return "the cluster's partition count in etcd is unreadable";
    if (*stored != wanted_partitions_)
      spdlog::warn("cluster: cluster.partitions = {} is not used: cluster {} was formed with {}",
                   wanted_partitions_, cluster_, *stored);
    partitions = *stored;
  }
  {
    std::lock_guard lock(mutex_);
    partitions_ = partitions;
  }
  if (auto why = load_secret(); !why.empty()) return why;
  if (auto why = register_node(); !why.empty()) return why;
  if (auto why = load_and_watch(); !why.empty()) return why;
  thread_ = std::thread([this] { run(); });
  return {};
}

std::string cluster_member::load_secret() {
  // 32 random bytes, hex: the first node to get here picks them for every node to come.
  std::random_device random;
  std::string fresh;
  for (int i = 0; i < 8; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(random()));
    fresh += word;
  }
  auto agreed = shared_value("secret", std::move(fresh));
  if (!agreed) return "cannot reach etcd to read the cluster's secret";
  if (agreed->size() < 32) return "the cluster's secret in etcd is unreadable";
  secret_ = std::move(*agreed);
  return {};
}

std::optional<std::string> cluster_member::shared_value(std::string_view name,
                                                        std::string proposal) {
  const auto k = key(name);
  auto stored = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(etcd::compare::create_revision(k, etcd::compare_result::equal, 0));
    t.success.push_back(etcd::op::put(k, proposal));
    t.failure.push_back(etcd::op::range(k));
    etcd_->txn(std::move(t), cb);
  });
  if (!stored.ok()) {
    spdlog::warn("cluster: reading {} from etcd: {}", name, describe(stored.error()));
    return std::nullopt;
  }
  if (stored->succeeded) return proposal;
  const auto& kvs = stored->responses.at(0).range.kvs;
  if (kvs.empty()) return std::nullopt;
  return kvs.front().value;
}

void cluster_member::release_value(std::string_view name, const std::string& proposal) {
  const auto k = key(name);
  auto released = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(etcd::compare::value_of(k, etcd::compare_result::equal, proposal));
    t.success.push_back(etcd::op::delete_range(k));
    etcd_->txn(std::move(t), cb);
  });
  if (!released.ok()) spdlog::warn("cluster: releasing {}: {}", name, describe(released.error()));
}

std::string cluster_member::register_node() {
  std::int64_t previous = 0;
  {
    std::lock_guard lock(mutex_);
    previous = lease_;
  }
  if (previous != 0) {
    // The keeper gave up on it, but it may live on (etcd was out of reach): end it, so that
    // this node's old ownerships end now rather than when it runs out.
    keeper_.reset();
    (void)etcd::wait<etcd::done>([&](auto cb) { etcd_->lease_revoke(previous, cb); });
  }
  auto granted =
      etcd::wait<etcd::lease_grant_result>([&](auto cb) { etcd_->lease_grant(ttl_s_, cb); });
  if (!granted.ok()) return "cannot get a lease from etcd: " + describe(granted.error());
  const auto lease = granted->id;
  const auto live_key = key("live/") + node_;
  // A previous run of this node (killed, or cut off) may hold the name until its lease runs
  // out; a second node under the same name holds it for good.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2 * ttl_s_ + 2);
  for (bool said = false;; said = true) {
    auto created = etcd::wait<etcd::txn_result>([&](auto cb) {
      etcd::txn_request t;
      t.compare.push_back(etcd::compare::create_revision(live_key, etcd::compare_result::equal, 0));
      t.success.push_back(etcd::op::put(live_key, node_, lease));
      etcd_->txn(std::move(t), cb);
    });
    if (created.ok() && created->succeeded) break;
    if (std::chrono::steady_clock::now() > deadline) {
      (void)etcd::wait<etcd::done>([&](auto cb) { etcd_->lease_revoke(lease, cb); });
      return created.ok() ? "another live node is named " + node_ + "; names must be unique"
                          : "cannot register in etcd: " + describe(created.error());
    }
    if (!said && created.ok())
      spdlog::info("cluster: waiting for the lease of a previous run of node {} to end", node_);
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, 250ms, [this] { return stopping_; })) return "stopping";
    }
  }
  keeper_ = etcd_->keep_alive(lease, ttl_s_, [this] { on_lease_lost(); });
  {
    std::lock_guard lock(mutex_);
    lease_ = lease;
    lease_lost_ = false;
    joined_ = true;
    changed_ = true;
  }
  spdlog::info("cluster: node {} joined cluster {} (lease {:x}, {} s)", node_, cluster_, lease,
               ttl_s_);
  return {};
}

std::string cluster_member::load_and_watch() {
  watch_.reset();
  auto all = etcd::wait<etcd::range_result>(
      [&](auto cb) { etcd_->range(prefix_, etcd::prefix_end(prefix_), 0, 0, cb); });
  if (!all.ok()) return "cannot read the cluster from etcd: " + describe(all.error());
  {
    std::lock_guard lock(mutex_);
    members_.clear();
    live_.clear();
    owners_.clear();
    for (const auto& kv : all->kvs) apply(kv, false);
    watch_failed_ = false;
    changed_ = true;
  }
  watch_ = etcd_->watch(prefix_, etcd::prefix_end(prefix_), all->header_revision + 1,
                        [this](etcd::result<std::vector<etcd::event>> events) {
                          std::lock_guard lock(mutex_);
                          if (!events.ok()) {
                            watch_failed_ = true;
                          } else {
                            for (const auto& e : *events)
                              apply(e.kv, e.type == etcd::event::kind::del);
                          }
                          changed_ = true;
                          wake_.notify_all();
                          settled_.notify_all();
                        });
  return {};
}

void cluster_member::apply(const etcd::key_value& kv, bool deleted) {
  std::string_view name{kv.key};
  if (!name.starts_with(prefix_)) return;
  name.remove_prefix(prefix_.size());
  auto take = [&](std::string_view what) {
    if (!name.starts_with(what)) return false;
    name.remove_prefix(what.size());
    return true;
  };
  if (take("members/")) {
    if (deleted) {
      members_.erase(std::string{name});
    } else {
      members_[std::string{name}] = kv.value;
    }
  } else if (take("live/")) {
    if (deleted) {
      live_.erase(std::string{name});
    } else {
      live_[std::string{name}] = kv.lease;
    }
  } else if (take("applied/")) {
    if (deleted) {
      applied_.erase(std::string{name});
    } else {
      applied_[std::string{name}] = parse_revision(kv.value);
    }
  } else if (take("owner/")) {
    auto p = parse_number(name);
    if (!p) return;
    if (deleted) {
      owners_.erase(*p);
    } else {
      owners_[*p] = owner{kv.value, kv.create_revision, kv.lease};
    }
  }
}

void cluster_member::reconcile() {
  std::vector<std::uint32_t> to_claim;
  std::vector<std::pair<std::uint32_t, std::int64_t>> to_release;
  std::int64_t lease = 0;
  {
    std::lock_guard lock(mutex_);
    if (!joined_) return;
    lease = lease_;
    std::vector<std::string> live;
    for (const auto& [node, held] : live_) live.push_back(node);
    auto share = model::assign_partitions(live, partitions_);
    for (std::uint32_t p = 0; p < partitions_; ++p) {
      auto held = owners_.find(p);
      if (held == owners_.end()) {
        if (share[p] == node_) to_claim.push_back(p);
      } else if (owned_by_me(held->second) && share[p] != node_) {
        to_release.emplace_back(p, held->second.epoch);
      }
    }
  }
  for (auto p : to_claim) claim(p, lease);
  for (auto [p, epoch] : to_release) release(p, epoch, lease);
}

void cluster_member::claim(std::uint32_t p, std::int64_t lease) {
  const auto k = owner_key(p);
  auto claimed = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(etcd::compare::create_revision(k, etcd::compare_result::equal, 0));
    t.success.push_back(etcd::op::put(k, node_, lease));
    etcd_->txn(std::move(t), cb);
  });
  if (!claimed.ok()) {
    spdlog::warn("cluster: claiming partition {}: {}", p, describe(claimed.error()));
    return;
  }
  if (!claimed->succeeded) return;  // someone was quicker; the watch tells who
  std::lock_guard lock(mutex_);
  ++claims_;
  // The put's revision is the key's create revision. Recorded now rather than when the watch
  // reports it, so that the partition is served without waiting for the round trip.
  owners_[p] = owner{node_, claimed->header_revision, lease};
  settled_.notify_all();
  spdlog::info("cluster: node {} owns partition {} (epoch {})", node_, p, claimed->header_revision);
}

void cluster_member::release(std::uint32_t p, std::int64_t epoch, std::int64_t lease) {
  const auto k = owner_key(p);
  auto released = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(etcd::compare::create_revision(k, etcd::compare_result::equal, epoch));
    t.compare.push_back(etcd::compare::lease_of(k, etcd::compare_result::equal, lease));
    t.success.push_back(etcd::op::delete_range(k));
    etcd_->txn(std::move(t), cb);
  });
  if (!released.ok()) {
    spdlog::warn("cluster: giving up partition {}: {}", p, describe(released.error()));
    return;
  }
  std::lock_guard lock(mutex_);
  ++releases_;
  if (auto held = owners_.find(p); held != owners_.end() && held->second.epoch == epoch)
    owners_.erase(held);
  settled_.notify_all();
  spdlog::info("cluster: node {} gave up partition {} to its share's owner", node_, p);
}

void cluster_member::on_lease_lost() {
  // On the etcd client's thread: nothing fenced on the lease may be trusted from now on.
  std::lock_guard lock(mutex_);
  joined_ = false;
  lease_lost_ = true;
  ++leases_lost_;
  for (auto it = owners_.begin(); it != owners_.end();) {
    it = owned_by_me(it->second) ? owners_.erase(it) : std::next(it);
  }
  spdlog::error("cluster: node {} lost its lease; its partitions are no longer its", node_);
  wake_.notify_all();
}

void cluster_member::run() {
  // Claims are also retried on a period: a claim that failed for a moment (etcd busy) is
  // tried again without waiting for the next change.
  const auto period = std::chrono::milliseconds(ttl_s_ * 1000 / 4);
  for (;;) {
    bool lost = false, reload = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, period, [this] { return stopping_ || changed_ || lease_lost_; });
      if (stopping_) return;
      lost = lease_lost_;
      reload = watch_failed_;
      changed_ = false;
    }
    // Before anything that may wait on etcd: a node that lost its lease stops at once.
    report_ownership();
    if (lost) {
      if (auto why = register_node(); !why.empty()) {
        spdlog::warn("cluster: node {} cannot rejoin yet: {}", node_, why);
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, period, [this] { return stopping_; });
        continue;
      }
      reload = true;
    }
    if (reload) {
      if (auto why = load_and_watch(); !why.empty()) {
        spdlog::warn("cluster: {}", why);
        std::lock_guard lock(mutex_);
        watch_failed_ = true;
        continue;
      }
    }
    reconcile();
    report_ownership();
  }
}

void cluster_member::advertise(std::string api_url) {
  auto remembered = etcd::wait<etcd::put_result>(
      [&](auto cb) { etcd_->put(key("members/") + node_, api_url, 0, cb); });
  if (!remembered.ok())
    spdlog::warn("cluster: cannot register this node's API address: {}",
                 describe(remembered.error()));
}

std::uint32_t cluster_member::partitions() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

std::optional<std::uint32_t> cluster_member::next_owned() {
  std::lock_guard lock(mutex_);
  if (!joined_) return std::nullopt;
  for (std::uint32_t i = 0; i < partitions_; ++i) {
    auto p = (next_owned_ + i) % partitions_;
    if (auto held = owners_.find(p); held != owners_.end() && owned_by_me(held->second)) {
      next_owned_ = p + 1;
      return p;
    }
  }
  return std::nullopt;
}

model::forget_outcome cluster_member::forget(const std::string& name) {
  using outcome = model::forget_outcome;
  {
    std::lock_guard lock(mutex_);
    if (!members_.contains(name))
      return {outcome::unknown, "no node named " + name + " is a member"};
  }
  // Only while it holds no lease: a live node is never forgotten under it.
  auto removed = etcd::wait<etcd::txn_result>([&](auto cb) {
    etcd::txn_request t;
    t.compare.push_back(
        etcd::compare::create_revision(key("live/") + name, etcd::compare_result::equal, 0));
    t.success.push_back(etcd::op::delete_range(key("members/") + name));
    t.success.push_back(etcd::op::delete_range(key("applied/") + name));
    etcd_->txn(std::move(t), cb);
  });
  if (!removed.ok())
    return {outcome::unreachable, "cannot reach etcd: " + describe(removed.error())};
  if (!removed->succeeded) return {outcome::alive, "node " + name + " is alive; stop it first"};
  spdlog::info("cluster: node {} was forgotten; the log is no longer kept for it", name);
  return {outcome::forgotten, {}};
}

std::vector<std::uint32_t> cluster_member::one_of_each_other_owner() const {
  std::lock_guard lock(mutex_);
  std::set<std::string> seen;
  std::vector<std::uint32_t> out;
  for (const auto& [p, o] : owners_) {
    if (o.node != node_ && seen.insert(o.node).second) out.push_back(p);
  }
  return out;
}

std::pair<std::string, std::string> cluster_member::owner_of(std::uint32_t p) const {
  std::lock_guard lock(mutex_);
  auto held = owners_.find(p);
  if (held == owners_.end()) return {};
  auto api = members_.find(held->second.node);
  return {held->second.node, api == members_.end() ? std::string{} : api->second};
}

std::int64_t cluster_member::lease() const {
  std::lock_guard lock(mutex_);
  return joined_ ? lease_ : 0;
}

bool cluster_member::wait_settled(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return settled_.wait_for(lock, timeout, [this] {
    if (!joined_ || partitions_ == 0) return false;
    std::vector<std::string> live;
    for (const auto& [node, held] : live_) live.push_back(node);
    auto share = model::assign_partitions(live, partitions_);
    for (std::uint32_t p = 0; p < partitions_; ++p) {
      auto held = owners_.find(p);
      bool mine = held != owners_.end() && owned_by_me(held->second);
      if ((share[p] == node_) != mine) return false;
    }
    return true;
  });
}

model::cluster_view cluster_member::view() const {
  std::lock_guard lock(mutex_);
  model::cluster_view v;
  v.node = node_;
  v.cluster = cluster_;
  v.joined = joined_;
  for (const auto& [name, api] : members_) {
    auto applied = applied_.find(name);
    v.nodes.push_back(
        {name, api, live_.contains(name), applied == applied_.end() ? 0 : applied->second});
  }
  for (std::uint32_t p = 0; p < partitions_; ++p) {
    model::cluster_partition part{p, {}, 0};
    if (auto held = owners_.find(p); held != owners_.end()) {
      part.owner = held->second.node;
      part.epoch = held->second.epoch;
    }
    v.partitions.push_back(std::move(part));
  }
  return v;
}

std::map<std::uint32_t, std::int64_t> cluster_member::owned_now() const {
  std::map<std::uint32_t, std::int64_t> out;
  if (!joined_) return out;
  for (const auto& [p, o] : owners_)
    if (owned_by_me(o)) out.emplace(p, o.epoch);
  return out;
}

std::map<std::uint32_t, std::int64_t> cluster_member::watch_ownership(
    partition_owner::listener changed) {
  std::lock_guard told(listener_mutex_);
  std::lock_guard lock(mutex_);
  listener_ = std::move(changed);
  reported_ = owned_now();
  return reported_;
}

void cluster_member::report_ownership() {
  std::lock_guard told(listener_mutex_);
  if (!listener_) return;
  std::map<std::uint32_t, std::int64_t> now;
  {
    std::lock_guard lock(mutex_);
    now = owned_now();
  }
  std::vector<ownership_change> changes;
  for (const auto& [p, epoch] : reported_) {
    auto still = now.find(p);
    if (still == now.end() || still->second != epoch) changes.push_back({p, std::nullopt});
  }
  for (const auto& [p, epoch] : now) {
    auto before = reported_.find(p);
    if (before == reported_.end() || before->second != epoch) changes.push_back({p, epoch});
  }
  reported_ = std::move(now);
  // Losses first: a partition lost and taken again between two reports is told as both.
  if (!changes.empty()) listener_(changes);
}

std::optional<std::int64_t> cluster_member::epoch_of(std::uint32_t p) const {
  std::lock_guard lock(mutex_);
  auto held = owners_.find(p);
  if (!joined_ || held == owners_.end() || !owned_by_me(held->second)) return std::nullopt;
  return held->second.epoch;
}

void cluster_member::collect_metrics(std::string& out) const {
  std::lock_guard lock(mutex_);
  std::size_t owned = 0;
  for (const auto& [p, o] : owners_) owned += owned_by_me(o) ? 1 : 0;
  out += "# TYPE baton_cluster_partitions_owned gauge\nbaton_cluster_partitions_owned " +
         std::to_string(owned) + "\n";
  out += "# TYPE baton_cluster_nodes_alive gauge\nbaton_cluster_nodes_alive " +
         std::to_string(live_.size()) + "\n";
  out +=
      "# TYPE baton_cluster_partition_claims_total counter\nbaton_cluster_partition_claims_total " +
      std::to_string(claims_) + "\n";
  out +=
      "# TYPE baton_cluster_partition_releases_total counter\n"
      "baton_cluster_partition_releases_total " +
      std::to_string(releases_) + "\n";
  out += "# TYPE baton_cluster_leases_lost_total counter\nbaton_cluster_leases_lost_total " +
         std::to_string(leases_lost_) + "\n";
}

}  // namespace baton::actors
