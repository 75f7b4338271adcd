#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "http/fwd.hpp"
#include "model/cluster.hpp"

namespace baton::storage {
class db;
}  // namespace baton::storage

namespace baton::http {

/// Registers `GET /api/v1/cluster` (operator): the cluster as this node sees it,
/// `{"node", "cluster", "clustered", "joined", "nodes": [{"id", "api", "alive",
/// "appliedRevision"}],
///   "partitions": [{"id", "owner", "epoch"}]}`; an unowned partition has a null owner.
/// A node without a cluster answers `clustered: false`, itself as the one node, no partitions.
/// @param view called on an io thread for each request; must be thread-safe
void add_cluster_routes(router& routes, auth::authenticator& auth,
                        std::function<model::cluster_view()> view, bool clustered);

/// In a cluster, registers `POST /api/v1/cluster/commands`, where another node of the cluster
/// sends a command for a partition this node owns (`actors::cluster_forwarder`): shown by the
/// cluster's secret in `Baton-Cluster-Secret` (else 401), the body a forwarded command (else
/// 400), answered 200 with the encoded answer.
void add_cluster_command_route(router& routes, actors::engine& engine, std::string secret);

/// In a cluster, registers `GET /api/v1/cluster/snapshot`, where a node whose store is behind
/// the cluster's trimmed log fetches a copy of this node's store (`storage::pack_snapshot`),
/// shown by the cluster's secret in `Baton-Cluster-Secret` (else 401). 200 with the archive;
/// 503 + Retry-After when it cannot be made (the log says why) or when `work` is busy, 507
/// when the store is larger than `limit` bytes, the archive being held in memory. The
/// checkpoint is made on `work`'s thread, never on an I/O thread.
void add_cluster_snapshot_route(router& routes, blocking_work& work, const storage::db& database,
                                std::string data_dir, std::string secret, std::uint64_t limit);

/// In a cluster, registers `DELETE /api/v1/cluster/nodes/{node}` (admin): forgets a node that
/// will not come back, so that the log is no longer kept for it. 204; 404 for a node that is
/// not a member, 409 for one alive, 503 when etcd cannot be reached.
void add_cluster_forget_route(router& routes, auth::authenticator& auth,
                              std::function<model::forget_outcome(const std::string&)> forget);

}  // namespace baton::http
