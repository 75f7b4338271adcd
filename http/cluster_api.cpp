#include "http/cluster_api.hpp"

#include "http/auth/guard.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/json_write.hpp"

namespace baton::http {

namespace {

std::string render(const model::cluster_view& v, bool clustered) {
  namespace jw = model::json_write;
  std::string out = "{";
  jw::field(out, "node", v.node);
  jw::key(out, "cluster");
  if (clustered) {
    jw::str(out, v.cluster);
  } else {
    out += "null";
  }
  jw::field(out, "clustered", clustered);
  jw::field(out, "joined", v.joined);
  jw::key(out, "nodes");
  out += '[';
  for (const auto& n : v.nodes) {
    out += out.back() == '[' ? "{" : ",{";
    jw::field(out, "id", n.id);
    jw::field(out, "api", n.api);
    jw::field(out, "alive", n.alive);
    out += '}';
  }
  out += "]";
  jw::key(out, "partitions");
  out += '[';
  for (const auto& p : v.partitions) {
    out += out.back() == '[' ? "{" : ",{";
    jw::field(out, "id", static_cast<std::int64_t>(p.id));
    jw::key(out, "owner");
    if (p.owner.empty()) {
      out += "null";
    } else {
      jw::str(out, p.owner);
    }
    jw::field(out, "epoch", p.epoch);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

void add_cluster_routes(router& routes, auth::authenticator& auth,
                        std::function<model::cluster_view()> view, bool clustered) {
  routes.add(beast_http::verb::get, "/api/v1/cluster",
             auth::protect(auth, auth::native_schemes, auth::role::operator_, auth::problem_format,
                           [view = std::move(view), clustered](
                               request_context ctx, const auth::client&, responder respond) {
                             respond(json_response(beast_http::status::ok,
                                                   render(view(), clustered), ctx.req.version()));
                           }));
}

}  // namespace baton::http
