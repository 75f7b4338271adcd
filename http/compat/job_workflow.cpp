#include "http/compat/job_workflow.hpp"

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/time.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http::compat {

using beast_http::status;
using beast_http::verb;

namespace {

/// The queue every unscoped job joins, one at a time.
constexpr std::string_view unscoped_queue = "jobworkflow:unscoped";
constexpr std::string_view known_descriptor = "PLATFORM_CUSTOM_WORKFLOW";

response error(status s, std::string_view code, std::string_view text) {
  return json_response(s, "[{\"errorCode\":\"" + std::string(code) + "\",\"message\":\"" +
                              json_escape(text) + "\"}]");
}

response unreadable() {
  return error(status::bad_request, "JSON_PARSER_ERROR", "Unable to process the JSON body");
}

void start_job(actors::engine& engine, const config::settings& settings, request_context ctx,
               const auth::client& who, responder respond) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok() || !body.root.is_object()) return respond(unreadable());
  auto obj = as_object(body.root);
  auto descriptor = member(obj, "descriptor");
  auto parameters = member(obj, "parameters");
  auto scope = member(obj, "scope");
  if (!descriptor || !descriptor->is_string() ||
      descriptor->get_string().value() != known_descriptor || !parameters ||
      !parameters->is_object() || (scope && !scope->is_string() && !scope->is_null())) {
    return respond(unreadable());
  }
  actors::start_request req;
  for (auto [k, v] : as_object(*parameters)) {
    if (k == "WORKFLOW_AUTOMATION_ID") {
      if (!v.is_string()) return respond(unreadable());
      req.definition = std::string(v.get_string().value());
    } else {
      req.values[std::string(k)] = to_value(v);
    }
  }
  if (req.definition.empty()) return respond(unreadable());
  if (!who.may_use(req.definition)) {
    return respond(error(status::forbidden, "INSUFFICIENT_ACCESS",
                         "this client may not run " + req.definition));
  }
  std::string scope_name =
      scope && scope->is_string() ? std::string(scope->get_string().value()) : "";
  if (scope_name.empty()) {
    req.scope = unscoped_queue;
  } else {
    req.scope = "jobworkflow:" + scope_name;
    req.reject_if_busy = !settings.engine.parallel_scopes;
  }
  engine.start(std::move(req), [respond](actors::process_answer a) {
    using actors::engine_errc;
    switch (a.code) {
      case engine_errc::ok:
        return respond(json_response(status::accepted, "{\"jobId\":\"" + a.process_id + "\"}"));
      case engine_errc::unknown_definition:
        return respond(error(status::not_found, "NOT_FOUND", "unknown WORKFLOW_AUTOMATION_ID"));
      case engine_errc::scope_busy:
        return respond(error(status::conflict, "JOB_IN_PROGRESS",
                             "a job of this scope is already in progress"));
      case engine_errc::invalid_input:
        return respond(error(status::bad_request, "INVALID_PARAMETER", a.message));
      case engine_errc::storage_full:
        return respond(error(status::insufficient_storage, "INSUFFICIENT_STORAGE", a.message));
      case engine_errc::storage_unavailable:
      case engine_errc::shutting_down:
      case engine_errc::timed_out:
        return respond(error(status::service_unavailable, "SERVICE_UNAVAILABLE", a.message));
      default:
        return respond(error(status::internal_server_error, "UNKNOWN_EXCEPTION", a.message));
    }
  });
}

std::string_view job_status(model::process_status s) {
  switch (s) {
    case model::process_status::waiting:
      return "QUEUED";
    case model::process_status::running:
      return "IN_PROGRESS";
    case model::process_status::succeeded:
      return "COMPLETED";
    case model::process_status::failed:
      return "FAILED";
    case model::process_status::cancelled:
      return "CANCELLED";
  }
  return "FAILED";
}

void job_state(actors::engine& engine, request_context ctx, const auth::client& who,
               responder respond) {
  auto loaded = engine.store().load_process(ctx.param("jobId"));
  if (!loaded.ok()) {
    auto refusal = refusal_of(loaded.error(), "reading a job");
    auto code = refusal.status == status::insufficient_storage ? "INSUFFICIENT_STORAGE"
                                                               : "SERVICE_UNAVAILABLE";
    return respond(error(refusal.status, code, refusal.message));
  }
  const auto& p = loaded.value();
  if (!p || p->scope.rfind("jobworkflow:", 0) != 0) {
    return respond(error(status::not_found, "NOT_FOUND", "unknown jobId"));
  }
  if (!who.may_use(p->definition)) {
    return respond(error(status::forbidden, "INSUFFICIENT_ACCESS", "this client may not read it"));
  }
  auto scope = std::string_view(p->scope).substr(12);
  std::string out =
      "{\"jobId\":\"" + p->id + "\",\"automationId\":\"" + json_escape(p->definition) +
      "\",\"scope\":" +
      (p->scope == unscoped_queue ? std::string("null") : "\"" + json_escape(scope) + "\"") +
      ",\"status\":\"" + std::string(job_status(p->status)) + "\",\"outputs\":";
  storage::append_values(out, p->outputs);
  out += ",\"error\":" +
         (p->error.empty() ? std::string("null") : "\"" + json_escape(p->error) + "\"");
  out += ",\"createdDate\":\"" + model::format_iso_instant(p->created_ms) +
         "\",\"lastModifiedDate\":\"" + model::format_iso_instant(p->updated_ms) + "\"}";
  respond(json_response(status::ok, std::move(out)));
}

}  // namespace

void add_job_workflow_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                             const config::settings& settings) {
  auto guarded = [&auth](auth::guarded_handler h) {
    return auth::protect(
        auth, auth::oauth_header | auth::bearer_token, auth::role::runner,
        [](status s, std::string_view text) {
          return error(s, s == status::unauthorized ? "INVALID_SESSION_ID" : "INSUFFICIENT_ACCESS",
                       text);
        },
        std::move(h));
  };
  routes.add(
      verb::post, "/v1/JobWorkflow/Authorized",
      guarded([&engine, &settings](request_context ctx, const auth::client& who, responder r) {
        start_job(engine, settings, std::move(ctx), who, std::move(r));
      }));
  routes.add(verb::get, "/v1/JobWorkflow/{jobId}",
             guarded([&engine](request_context ctx, const auth::client& who, responder r) {
               job_state(engine, std::move(ctx), who, std::move(r));
             }));
}

}  // namespace baton::http::compat
