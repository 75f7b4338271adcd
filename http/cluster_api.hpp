#pragma once

#include <functional>

#include "model/cluster.hpp"

namespace baton::http {

class router;
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

}  // namespace baton::http
