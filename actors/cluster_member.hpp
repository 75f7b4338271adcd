#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "actors/partition_owner.hpp"
#include "config/settings.hpp"
#include "model/cluster.hpp"
#include "outgoing/etcd_client.hpp"

namespace baton::actors {

/// This node's place in a cluster (DESIGN.md, Cluster): it registers the node under an etcd
/// lease, forms the cluster when it is the first node (the partition count is stored then and
/// never changes), and takes and gives up partitions so that each live node owns its share
/// (`model::assign_partitions`) and a node that rejoins gets its own back.
///
/// Ownership of partition p is the key `/baton/<cluster>/owner/<p>`, created under the
/// owner's lease only while it does not exist; its create revision is the partition's epoch.
/// It ends when the owner gives it up (delete, fenced on the epoch) or its lease runs out
/// (etcd deletes it). Why not etcd's election API: a campaign waiting in line keeps its
/// candidate key until its lease ends, so a node that stops wanting a partition while waiting
/// could later be elected without wanting it; a create-if-absent key has no line.
///
///     registering --lease granted, live key created--> member --lease lost--> registering
///     member: on every change seen in etcd (and every lease/4), claim what is ours and
///             free, give up what is another live node's share
///
/// Decisions are made on one thread of its own, with blocking etcd calls; the etcd watch only
/// records what changed and wakes it. `view` and `epoch_of` may be called from any thread.
class cluster_member {
 public:
  /// @pre `settings.etcd` and `settings.node` are set (config::load checks).
  explicit cluster_member(const config::cluster_settings& settings);
  /// Leaves the cluster: revoking the lease frees this node's partitions at once, so that the
  /// others need not wait for it to run out.
  ~cluster_member();
  cluster_member(const cluster_member&) = delete;
  cluster_member& operator=(const cluster_member&) = delete;

  /// Registers this node and starts taking its share of the partitions (in the background).
  /// Blocks until registered: when a previous run of this node (same name) still holds its
  /// lease, until that lease runs out.
  /// @returns empty, or why the node could not join (etcd unreachable, name in use).
  std::string join();

  model::cluster_view view() const;
  std::uint32_t partitions() const;
  /// The epoch of partition `p` while this node owns it.
  std::optional<std::int64_t> epoch_of(std::uint32_t p) const;
  /// See `partition_owner::next_owned`.
  std::optional<std::uint32_t> next_owned();
  /// See `partition_owner::watch_ownership`: changes are told on the control thread, after the
  /// claims and releases of each round and when the lease is lost.
  std::map<std::uint32_t, std::int64_t> watch_ownership(partition_owner::listener changed);
  /// See `partition_owner::one_of_each_other_owner`.
  std::vector<std::uint32_t> one_of_each_other_owner() const;
  /// The owner of partition `p` and its API, for telling a client where it is ("" if none).
  std::pair<std::string, std::string> owner_of(std::uint32_t p) const;
  /// The lease this node holds now (0 while it holds none): cluster-wide writes are fenced
  /// on it.
  std::int64_t lease() const;
  /// Waits until this node owns its share of the partitions (with the live nodes it sees),
  /// for at most `timeout`. @returns whether it does.
  bool wait_settled(std::chrono::milliseconds timeout) const;
  std::chrono::milliseconds lease_duration() const { return std::chrono::seconds(ttl_s_); }
  outgoing::etcd::client& etcd() { return *etcd_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& node() const { return node_; }
  /// What nodes of this cluster show each other when they forward a command (random, picked
  /// by the node that first joined, kept in etcd). Set by `join`.
  const std::string& secret() const { return secret_; }
  /// A value every node of the cluster agrees on: `proposal` if this node is the first to ask
  /// for `name`, else what the first one proposed. Empty when etcd cannot be reached.
  std::optional<std::string> shared_value(std::string_view name, std::string proposal);
  /// Gives up `name` when its value is still `proposal` (what this node proposed and the
  /// cluster took): a claim whose use failed. Best effort: etcd out of reach leaves it.
  void release_value(std::string_view name, const std::string& proposal);
  /// Removes node `name`, which will not come back, from the members: the log is no longer
  /// kept for it.
  model::forget_outcome forget(const std::string& name);
  /// Registers the address of this node's API, shown to the others and to clients.
  void advertise(std::string api_url);
  /// Appends the cluster gauges and counters in Prometheus text format.
  void collect_metrics(std::string& out) const;

 private:
  struct owner {
    std::string node;
    std::int64_t epoch = 0;  ///< the key's create revision
    std::int64_t lease = 0;
  };

  /// Reads the cluster's secret, or picks it when nobody has. @pre mutex_ not held
  std::string load_secret();
  /// Grants a lease and creates the live key under it. @pre mutex_ not held
  std::string register_node();
  /// Reads every key of the cluster and watches from there. @pre mutex_ not held
  std::string load_and_watch();
  void apply(const outgoing::etcd::key_value& kv, bool deleted);  ///< @pre mutex_ held
  /// Claims and gives up partitions to match the share of each live node. @pre mutex_ not held
  void reconcile();
  void claim(std::uint32_t p, std::int64_t lease);
  void release(std::uint32_t p, std::int64_t epoch, std::int64_t lease);
  void on_lease_lost();
  /// Tells the ownership listener what changed since it was last told. @pre mutex_ not held
  void report_ownership();
  std::map<std::uint32_t, std::int64_t> owned_now() const;  ///< @pre mutex_ held
  void run();
  bool owned_by_me(const owner& o) const { return o.node == node_ && o.lease == lease_; }

  std::string key(std::string_view suffix) const { return prefix_ + std::string{suffix}; }

 public:
  /// The key whose create revision is partition `p`'s epoch while it has an owner.
  std::string owner_key(std::uint32_t p) const;
  /// The key that exists, under this node's lease, while this node is a member.
  std::string live_key() const { return key("live/") + node_; }

 private:
  const std::string cluster_;
  const std::string node_;
  const std::string prefix_;  ///< "/baton/<cluster>/"
  const std::int64_t ttl_s_;  ///< the lease in whole seconds
  const std::uint32_t wanted_partitions_;
  std::string secret_;  ///< set by `join`, then read-only
  std::unique_ptr<outgoing::etcd::client> etcd_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool changed_ = false;       ///< something was seen that may call for a claim or release
  bool lease_lost_ = false;    ///< the keeper gave up: register again
  bool watch_failed_ = false;  ///< the watch ended: read everything again
  bool joined_ = false;
  std::int64_t lease_ = 0;
  std::uint32_t partitions_ = 0;                 ///< as stored in etcd when the cluster formed
  std::map<std::string, std::string> members_;   ///< every node that ever joined → its API
  std::map<std::string, std::int64_t> live_;     ///< nodes holding a lease → that lease
  std::map<std::string, std::int64_t> applied_;  ///< node → the log revision its store holds
  std::map<std::uint32_t, owner> owners_;
  std::uint64_t claims_ = 0;
  std::uint64_t releases_ = 0;
  std::uint64_t leases_lost_ = 0;
  std::uint32_t next_owned_ = 0;  ///< where `next_owned` looks first
  mutable std::condition_variable settled_;

  /// Held while the listener runs, so that a null listener set is never called afterwards.
  std::mutex listener_mutex_;
  partition_owner::listener listener_;              ///< guarded by listener_mutex_
  std::map<std::uint32_t, std::int64_t> reported_;  ///< what the listener knows; guarded by it

  std::unique_ptr<outgoing::etcd::handle> keeper_;
  std::unique_ptr<outgoing::etcd::handle> watch_;
  std::thread thread_;
};

}  // namespace baton::actors
