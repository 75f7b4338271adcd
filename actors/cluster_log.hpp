#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actors/cluster_member.hpp"
#include "storage/db.hpp"
#include "storage/group_commit.hpp"

namespace baton::actors {

/// The cluster's replicated log (DESIGN.md, Cluster): every commit of every node is appended
/// to etcd as ONE transaction, fenced on the writer's partitions, before it reaches any
/// store; every node applies the whole log, in etcd's revision order, to its own store.
///
/// Writing (`replicate`, on the group committer's thread): the commit's batches are packed
/// into one value under `/baton/<cluster>/log/<node>/<lease>/<n>`; the transaction holds only
/// if this node's live key still has its lease and the owner key of every partition written
/// still has the epoch the writer acted under. So a node whose lease ended, or that lost a
/// partition, appends nothing for it and acknowledges nothing. The commit is answered once
/// this node's own applier has applied it: the store never runs ahead of the log, and reads
/// after an answer see the write.
///
/// Applying (the watch): one writer to the store in a cluster. Each entry is written with the
/// revision it had in etcd (`meta` "cluster-applied-revision") in one atomic write, so a
/// restarted node goes on from where its store stands. Replaying entries a store already
/// holds is harmless: they are whole-record puts and deletes, applied in the same order.
///
/// Ownership: a node that takes a partition at revision E writes for it only once it has
/// applied everything before E (the previous owner's last writes).
class cluster_log final : public storage::replicator {
 public:
  cluster_log(cluster_member& member, storage::db& db);
  ~cluster_log() override;
  cluster_log(const cluster_log&) = delete;
  cluster_log& operator=(const cluster_log&) = delete;

  /// Where this store stands against the cluster's trimmed log (`cluster_trimmer`).
  struct floor_check {
    std::string error;         ///< etcd or the store could not be read
    std::int64_t applied = 0;  ///< the last revision of the log this store holds
    std::int64_t floor = 0;    ///< the log is gone up to here (0: nothing trimmed)
    /// The store cannot catch up from the log: it must be seeded from another node's store.
    bool behind() const { return error.empty() && applied < floor; }
  };
  floor_check check_floor() const;

  /// Applies what the log holds beyond this store, then follows it. Blocks until caught up
  /// with etcd as of the call. @returns empty, or why it could not.
  std::string start();

  std::vector<storage::status> replicate(
      const std::vector<const storage::batch*>& batches) override;

  /// Runs `then` after each entry from the log that writes column family `family` is applied
  /// (on the applier's thread): the engine learns definitions deployed on other nodes, auth
  /// the clients and tokens changed there. One per family; a null `then` removes it, after a
  /// call under way.
  void on_applied(storage::cf family, std::function<void()> then);

  /// The last etcd revision this node has seen through its watch, log entries applied.
  std::int64_t seen() const;
  /// The revision of the last log entry this node's store holds on its disk (it syncs the
  /// store's log first: entries are applied without a sync of their own). 0 when it cannot.
  std::int64_t durable_applied();
  /// Waits until `seen` reaches `revision`, at most `timeout`. @returns whether it did.
  bool wait_seen(std::int64_t revision, std::chrono::milliseconds timeout) const;
  void collect_metrics(std::string& out) const;

 private:
  /// Applies what the watch brought, in order, on `applier_`: the etcd client's thread must
  /// not wait for the store's syncs.
  void run_applier();
  /// Writes one entry and the revision it was at. @pre called in revision order
  bool apply(std::int64_t revision, std::string_view packed);

  cluster_member& member_;
  storage::db& db_;
  const std::string log_prefix_;
  const std::chrono::milliseconds patience_;  ///< how long a commit waits to be applied
  std::uint64_t next_entry_ = 0;              ///< on the committer's thread only

  mutable std::mutex mutex_;
  mutable std::condition_variable advanced_;
  std::int64_t seen_ = 0;
  std::int64_t applied_revision_ = 0;  ///< of the last entry written to the store
  bool broken_ = false;     ///< the log could not be followed: nothing more is acknowledged
  std::mutex hooks_mutex_;  ///< held while a hook runs
  std::vector<std::pair<storage::cf, std::function<void()>>> hooks_;
  std::uint64_t appended_ = 0;
  std::uint64_t applied_entries_ = 0;
  std::uint64_t fenced_ = 0;
  std::int64_t last_append_us_ = 0;

  struct arrival {
    std::int64_t revision = 0;  ///< of the last event; `seen` moves there once applied
    std::vector<std::pair<std::int64_t, std::string>> entries;  ///< log puts: revision, value
  };
  std::vector<arrival> arrivals_;  ///< guarded by mutex_
  bool stopping_ = false;
  std::condition_variable arrived_;

  std::unique_ptr<outgoing::etcd::handle> watch_;
  std::thread applier_;
};

}  // namespace baton::actors
