#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "actors/cluster_member.hpp"
#include "outgoing/delegate_client.hpp"

namespace baton::actors {

/// Where a node fetches a copy of another node's store, and the header that shows it is one
/// of the cluster (the route: `http::add_cluster_snapshot_route`).
inline constexpr std::string_view snapshot_path = "/api/v1/cluster/snapshot";

/// Fetches a copy of a live peer's store into `archive` (`storage::pack_snapshot`'s format),
/// asking each live node but this one in turn until one gives it. For a node whose store is
/// behind the cluster's trimmed log (`cluster_log::check_floor`): a new node with an empty
/// folder joins without a copy made by hand. Each call may take `timeout` and an answer of up
/// to `limit` bytes, whatever `peers` allows its other calls. Blocks.
/// @returns empty, or why no node gave one.
std::string fetch_peer_snapshot(cluster_member& member, outgoing::delegate_client& peers,
                                std::chrono::milliseconds timeout, std::size_t limit,
                                std::string& archive);

}  // namespace baton::actors
