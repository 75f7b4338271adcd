#include "http/admin_api.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/blocking_work.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "storage/backup.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// Seconds a client is asked to wait before trying a backup that could not be written again.
constexpr int backup_retry_after_s = 30;
/// Seconds a client is asked to wait when other blocking work fills the queue: a checkpoint
/// takes about one flush.
constexpr int busy_retry_after_s = 1;

/// The one table from backup errors to HTTP: the caller's mistakes name `/to`; ours are a 503
/// whose detail leaks no path or RocksDB text (the log has them, under the request id).
response backup_problem(const storage::backup_outcome& o, const std::string& request_id) {
  using storage::backup_errc;
  switch (o.code) {
    case backup_errc::not_absolute:
    case backup_errc::not_empty:
    case backup_errc::inside_data:
    case backup_errc::not_a_backup:
      return problem(status::bad_request, "Bad request", "to " + o.detail, "/to");
    case backup_errc::ok:
    case backup_errc::io:
    case backup_errc::too_large:
      break;
  }
  spdlog::error("request {}: backup failed: {}", request_id, o.detail);
  auto r = problem(
      status::service_unavailable, "Backup failed",
      "the backup could not be written; the server log has why (request id " + request_id + ")");
  r.set(beast_http::field::retry_after, std::to_string(backup_retry_after_s));
  return r;
}

/// The `to` of a backup request, or the 400 answer.
std::variant<std::string, response> read_target(std::string_view text) {
  auto body = parse_json_body(text);
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return problem(status::bad_request, "Bad request", "body must be a JSON object", "");
  }
  std::string_view to;
  auto v = member(obj, "to");
  if (!v || v->get_string().get(to) != simdjson::SUCCESS || to.empty()) {
    return problem(status::bad_request, "Bad request",
                   "to must be the absolute path of a folder on the server's machine", "/to");
  }
  return std::string(to);
}

}  // namespace

void add_admin_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                      blocking_work& work, const std::string& data_dir) {
  routes.add(verb::post, "/api/v1/admin/backup",
             auth::protect(
                 auth, auth::native_schemes, auth::role::admin, auth::problem_format,
                 [&engine, &work, data_dir](request_context ctx, const auth::client& who,
                                            responder respond) {
                   auto target = read_target(ctx.req.body());
                   if (auto* error = std::get_if<response>(&target))
                     return respond(std::move(*error));
                   // A checkpoint flushes the memtables and hard-links table files, about one
                   // flush: on the blocking-work thread, so that this io thread goes on serving its
                   // other connections meanwhile. That thread runs one backup at a time, which is
                   // all the disk would give two anyway.
                   auto take = [&engine, data_dir, to = std::move(std::get<std::string>(target)),
                                respond, id = ctx.request_id, by = who.name] {
                     auto began = std::chrono::steady_clock::now();
                     auto taken = storage::backup(engine.store().database(), data_dir, to);
                     if (!taken.ok()) return respond(backup_problem(taken, id));
                     auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - began)
                                     .count();
                     const auto& s = taken.summary;
                     spdlog::info(
                         "request {}: backup by {} into {}: {} files, {} bytes, sequence {}, {} ms",
                         id, by, s.folder, s.files, s.bytes, s.sequence, took);
                     // The responder takes the answer back to the connection's io thread.
                     respond(json_response(status::created,
                                           "{\"to\":\"" + json_escape(s.folder) +
                                               "\",\"sequence\":" + std::to_string(s.sequence) +
                                               ",\"files\":" + std::to_string(s.files) +
                                               ",\"bytes\":" + std::to_string(s.bytes) +
                                               ",\"tookMs\":" + std::to_string(took) + "}"));
                   };
                   if (!work.try_post(std::move(take))) {
                     auto r = problem(status::service_unavailable, "Busy",
                                      "backups and copies of the store already wait; retry");
                     r.set(beast_http::field::retry_after, std::to_string(busy_retry_after_s));
                     respond(std::move(r));
                   }
                 }));
}

}  // namespace baton::http
