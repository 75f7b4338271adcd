#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "actors/cluster_member.hpp"
#include "actors/partition_owner.hpp"
#include "outgoing/delegate_client.hpp"

namespace baton::actors {

/// The route of a command from a node that received it to the node that owns its partition:
/// `POST <owner's API>/api/v1/cluster/commands`, the command and its answer in CAF's binary
/// encoding, the caller shown by the cluster's secret. Any node can then serve any request,
/// in any of the APIs: each front end reads and answers it as usual, only the engine's part
/// runs where the partition is.
class cluster_forwarder {
 public:
  /// `peers` makes the calls; it must allow any host (the members' addresses).
  cluster_forwarder(const cluster_member& member, outgoing::delegate_client& peers)
      : member_(member), peers_(peers) {}

  void forward(std::uint32_t p, std::string command, std::chrono::milliseconds timeout,
               partition_owner::forwarded done);

  /// The path of the route that takes forwarded commands, and the header that carries the
  /// cluster's secret.
  static constexpr std::string_view path = "/api/v1/cluster/commands";
  static constexpr std::string_view secret_header = "Baton-Cluster-Secret";

 private:
  const cluster_member& member_;
  outgoing::delegate_client& peers_;
};

}  // namespace baton::actors
