#pragma once

#include <functional>
#include <string>

#include "model/cluster.hpp"

namespace baton::http {

class router;
}  // namespace baton::http

namespace baton::actors {
class engine;
}  // namespace baton::actors

namespace baton::http {
namespace auth {
class authenticator;
}

/// Registers `GET /api/v1/cluster` (operator): the cluster as this node sees it,
/// `{"node", "cluster", "clustered", "joined", "nodes": [{"id", "api", "alive"}],
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

}  // namespace baton::http
