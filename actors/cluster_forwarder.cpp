#include "actors/cluster_forwarder.hpp"

#include <utility>

namespace baton::actors {

void cluster_forwarder::forward(std::uint32_t p, std::string command,
                                std::chrono::milliseconds timeout,
                                partition_owner::forwarded done) {
  auto [node, api] = member_.owner_of(p);
  if (api.empty()) {
    return done(std::nullopt, "partition " + std::to_string(p) +
                                  " has no owner at the moment (a node left or joined); the "
                                  "request was not acknowledged. Retry later");
  }
  outgoing::outgoing_request call;
  call.method = "POST";
  call.url = api + std::string{path};
  call.headers = {{"Content-Type", "application/octet-stream"},
                  {std::string{secret_header}, member_.secret()}};
  call.body = std::move(command);
  call.timeout = timeout;
  peers_.call(std::move(call),
              [done = std::move(done), p, node = node, api = api](outgoing::outgoing_response r) {
                if (r.status == 200) return done(std::move(r.body), {});
                auto why = r.status == 0 ? r.error : "it answered " + std::to_string(r.status);
                done(std::nullopt, "partition " + std::to_string(p) + " is owned by node " + node +
                                       " at " + api + ", which could not take the request (" + why +
                                       "); it may not have been acknowledged. Retry later");
              });
}

}  // namespace baton::actors
