#include "http/cluster_api.hpp"

#include "actors/cluster_forwarder.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/auth/secrets.hpp"
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

void add_cluster_command_route(router& routes, actors::engine& engine, std::string secret) {
  using actors::cluster_forwarder;
  routes.add(
      beast_http::verb::post, std::string{cluster_forwarder::path},
      [&engine, secret = std::move(secret)](request_context ctx, responder respond) {
        if (!auth::equal_constant_time(ctx.header(cluster_forwarder::secret_header), secret)) {
          return respond(problem(beast_http::status::unauthorized, "Unauthorized",
                                 "only a node of this cluster may send commands here",
                                 cluster_forwarder::secret_header, ctx.req.version()));
        }
        auto version = ctx.req.version();
        engine.run_forwarded(ctx.req.body(), [respond, version](std::optional<std::string> answer) {
          if (!answer) {
            return respond(problem(beast_http::status::bad_request, "Bad Request",
                                   "the body is not a command that nodes forward", "body",
                                   version));
          }
          respond(text_response(beast_http::status::ok, std::move(*answer),
                                "application/octet-stream", version));
        });
      });
}

}  // namespace baton::http
