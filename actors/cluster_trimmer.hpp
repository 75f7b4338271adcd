#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "actors/cluster_log.hpp"
#include "actors/cluster_member.hpp"

namespace baton::actors {

/// Keeps the cluster's log and etcd's history bounded (DESIGN.md, Cluster). Each node records
/// in etcd how far it has applied the log (`applied/<node>`, kept after the node stops). The
/// owner of partition 0 finds the lowest revision every member that ever joined has applied
/// (the floor), writes it (`log-floor`), deletes the log entries at or below it, and compacts
/// etcd's history there. So a node that restarts on its data folder always finds the rest of
/// the log; a member that will not come back holds the log until it is forgotten
/// (`cluster_member::forget`); a node whose store is below the floor (a new node with an empty
/// folder once the log was trimmed) must start from a copy of another node's data folder.
class cluster_trimmer {
 public:
  /// Starts a round every `period` on a thread of its own.
  cluster_trimmer(cluster_member& member, cluster_log& log, std::chrono::milliseconds period);
  ~cluster_trimmer();
  cluster_trimmer(const cluster_trimmer&) = delete;
  cluster_trimmer& operator=(const cluster_trimmer&) = delete;

  /// Appends the trimming gauges and counters in Prometheus text format.
  void collect_metrics(std::string& out) const;

 private:
  void run();
  void report_applied();
  void trim();
  void measure();
  /// The lowest revision applied by every member, or 0 while one has not said.
  std::int64_t floor() const;

  cluster_member& member_;
  cluster_log& log_;
  const std::chrono::milliseconds period_;
  std::int64_t reported_ = 0;  ///< on the thread only
  std::int64_t trimmed_to_ = 0;
  std::atomic<std::int64_t> floor_{0};
  std::atomic<std::uint64_t> trimmed_entries_{0};
  std::atomic<std::int64_t> db_bytes_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baton::actors
