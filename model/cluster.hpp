#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

/// What a cluster of Baton nodes looks like to one of them (DESIGN.md, Cluster): plain data
/// and the pure rule that spreads partitions over the live nodes.
namespace baton::model {

struct cluster_node {
  std::string id;      ///< the node's name (`cluster.node`), unique in the cluster
  std::string api;     ///< where its HTTP API listens: "http://127.0.0.1:8080"
  bool alive = false;  ///< holds a lease in etcd now
  /// The last revision of the cluster's log its store holds on disk, as it last said (every
  /// few seconds; 0 before it said): how far behind it is, and where the log may be trimmed.
  std::int64_t applied = 0;
};

struct cluster_partition {
  std::uint32_t id = 0;
  std::string owner;       ///< empty while nobody owns it
  std::int64_t epoch = 0;  ///< the etcd revision at which `owner` took it; fences its writes
};

struct cluster_view {
  std::string node;  ///< the node answering
  std::string cluster;
  bool joined = false;              ///< false while this node is not (or no longer) registered
  std::vector<cluster_node> nodes;  ///< every node that ever joined, by id
  std::vector<cluster_partition> partitions;  ///< by id, all of them
};

/// Who should own each of `partitions` partitions given the live nodes: spread evenly (counts
/// differ by at most one), moving few partitions between the nodes that stay when one comes
/// or goes, and giving a node that rejoins the same ones back. Every node computes the same
/// answer from the same set, in any order. @returns one node id per partition; empty ids
/// when `live` is empty.
std::vector<std::string> assign_partitions(std::vector<std::string> live, std::uint32_t partitions);

/// The partition of a process or schedule: the one its id carries (ids made in a cluster carry
/// their partition in the 16 "node" bits, `id_generator::next(now, partition)`).
std::uint32_t partition_of_id(std::string_view id, std::uint32_t partitions);
/// What became of a request to forget a node that will not come back.
struct forget_outcome {
  enum kind { forgotten, unknown, alive, unreachable } what = forgotten;
  std::string message;  ///< why not, for a client
};

/// The queue of a schedule that queues its runs and has no scope: "schedule:<schedule id>".
inline constexpr std::string_view schedule_queue_prefix = "schedule:";
/// The partition of a scope, and so of every process in it: FIFO order and the limit hold
/// cluster-wide because one owner keeps the queue. A schedule's own queue is in the
/// schedule's partition, whose owner fires it.
std::uint32_t partition_of_scope(std::string_view scope, std::uint32_t partitions);

}  // namespace baton::model
