#include "actors/cluster_seed.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "actors/cluster_forwarder.hpp"

namespace baton::actors {

std::string fetch_peer_snapshot(cluster_member& member, outgoing::delegate_client& peers,
                                std::chrono::milliseconds timeout, std::size_t limit,
                                std::string& archive) {
  auto view = member.view();
  std::string tried;
  for (const auto& node : view.nodes) {
    if (node.id == view.node || !node.alive || node.api.empty()) continue;
    outgoing::outgoing_request call;
    call.method = "GET";
    call.url = node.api + std::string(snapshot_path);
    call.headers = {{std::string(cluster_forwarder::secret_header), member.secret()}};
    call.timeout = timeout;
    call.response_limit = limit;
    std::promise<outgoing::outgoing_response> answered;
    peers.call(std::move(call),
               [&answered](outgoing::outgoing_response r) { answered.set_value(std::move(r)); });
    auto r = answered.get_future().get();
    if (r.status == 200) {
      spdlog::info("cluster: copied the store of node {} ({} bytes)", node.id, r.body.size());
      archive = std::move(r.body);
      return {};
    }
    auto why = r.status == 0 ? r.error : "it answered " + std::to_string(r.status);
    spdlog::warn("cluster: node {} gave no copy of its store: {}", node.id, why);
    tried += (tried.empty() ? "" : "; ") + node.id + ": " + why;
  }
  return tried.empty() ? "no other node is alive" : tried;
}

}  // namespace baton::actors
