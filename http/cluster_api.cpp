#include "http/cluster_api.hpp"

#include <spdlog/spdlog.h>

#include "actors/cluster_forwarder.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/auth/secrets.hpp"
#include "http/blocking_work.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/json_write.hpp"
#include "storage/snapshot.hpp"

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
    // Nodes send each other commands at their API address (POST /api/v1/cluster/commands):
    // there is no separate peer listener, so a node's peer address is its API's.
    jw::field(out, "peer", n.api);
    jw::field(out, "alive", n.alive);
    jw::field(out, "appliedRevision", n.applied);
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
    // Every node applies the whole log, so every other live node holds the partition and
    // can take it over: each is a standby.
    jw::key(out, "standbys");
    out += '[';
    for (const auto& n : v.nodes) {
      if (!n.alive || n.id == p.owner) continue;
      if (out.back() != '[') out += ',';
      jw::str(out, n.id);
    }
    out += ']';
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

void add_cluster_snapshot_route(router& routes, blocking_work& work, const storage::db& database,
                                std::string data_dir, std::string secret, std::uint64_t limit) {
  using actors::cluster_forwarder;
  routes.add(
      beast_http::verb::get, "/api/v1/cluster/snapshot",
      [&work, &database, data_dir = std::move(data_dir), secret = std::move(secret), limit](
          request_context ctx, responder respond) {
        auto version = ctx.req.version();
        if (!auth::equal_constant_time(ctx.header(cluster_forwarder::secret_header), secret)) {
          return respond(problem(beast_http::status::unauthorized, "Unauthorized",
                                 "only a node of this cluster may copy its store",
                                 cluster_forwarder::secret_header, version));
        }
        auto unavailable = [version](beast_http::status s, std::string detail) {
          auto r = problem(s, "Snapshot unavailable", detail, {}, version);
          r.set(beast_http::field::retry_after, "5");
          return r;
        };
        // A checkpoint costs about one flush: on the blocking-work thread, so that this io
        // thread goes on serving its other connections meanwhile. That thread makes one copy
        // at a time, and each is held whole in memory.
        auto copy = [&database, data_dir, limit, respond, unavailable, id = ctx.request_id,
                     version] {
          std::string archive;
          auto packed = storage::pack_snapshot(database, data_dir, limit, archive);
          if (!packed.ok()) {
            spdlog::error("request {}: snapshot for another node failed: {}", id, packed.detail);
            bool too_large = packed.code == storage::backup_errc::too_large;
            return respond(unavailable(
                too_large ? beast_http::status::insufficient_storage
                          : beast_http::status::service_unavailable,
                too_large ? packed.detail + "; start the node from a copy of a data folder"
                          : "the snapshot could not be made; the server log has why"));
          }
          spdlog::info("request {}: snapshot for another node: {} files, {} bytes, sequence {}", id,
                       packed.summary.files, packed.summary.bytes, packed.summary.sequence);
          // The responder takes the answer back to the connection's io thread.
          respond(text_response(beast_http::status::ok, std::move(archive),
                                "application/octet-stream", version));
        };
        if (!work.try_post(std::move(copy))) {
          respond(unavailable(beast_http::status::service_unavailable,
                              "this node is busy copying or backing up its store; retry"));
        }
      });
}

void add_cluster_forget_route(router& routes, auth::authenticator& auth,
                              std::function<model::forget_outcome(const std::string&)> forget) {
  routes.add(beast_http::verb::delete_, "/api/v1/cluster/nodes/{node}",
             auth::protect(auth, auth::native_schemes, auth::role::admin, auth::problem_format,
                           [forget = std::move(forget)](request_context ctx, const auth::client&,
                                                        responder respond) {
                             using outcome = model::forget_outcome;
                             auto done = forget(std::string(ctx.param("node")));
                             switch (done.what) {
                               case outcome::forgotten:
                                 return respond(text_response(beast_http::status::no_content, {}));
                               case outcome::unknown:
                                 return respond(problem(beast_http::status::not_found, "Not Found",
                                                        done.message, "node"));
                               case outcome::alive:
                                 return respond(problem(beast_http::status::conflict, "Conflict",
                                                        done.message, "node"));
                               case outcome::unreachable:
                                 break;
                             }
                             auto r = problem(beast_http::status::service_unavailable,
                                              "Service Unavailable", done.message);
                             r.set(beast_http::field::retry_after, "1");
                             respond(std::move(r));
                           }));
}

}  // namespace baton::http
