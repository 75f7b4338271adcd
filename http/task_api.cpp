#include "http/task_api.hpp"

#include <charconv>

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/process_access.hpp"
#include "http/process_json.hpp"
#include "http/router.hpp"
#include "model/json_write.hpp"
#include "model/time.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// The external step `p` is parked at, waiting for someone to complete it; null otherwise.
const model::step_execution* open_task(const model::process_state& p) {
  if (p.status != model::process_status::running) return nullptr;
  const auto* exec = p.active();
  return exec && exec->kind == model::step_kind::external && !exec->retry_pending ? exec : nullptr;
}

/// `{"name": {"type": "bool", "required": true}, ...}`: what a complete call must send.
void append_contract(std::string& out, const model::step* step) {
  using namespace model::json_write;
  out += '{';
  if (step) {
    for (const auto& p : step->params) {
      user_key(out, p.name);
      out += '{';
      field(out, "type", model::type_name(p.type));
      field(out, "required", p.required);
      out += '}';
    }
  }
  out += '}';
}

/// The definition step behind `exec` in the version `p` runs, if still known.
const model::step* definition_step(actors::engine& engine, const model::process_state& p,
                                   const model::step_execution& exec) {
  auto def = engine.definitions().find(p.definition, p.version);
  return def ? def->find_step(exec.step) : nullptr;
}

void append_task(std::string& out, actors::engine& engine, const model::process_state& p) {
  using namespace model::json_write;
  const auto& exec = *open_task(p);
  out += '{';
  field(out, "processId", p.id);
  field(out, "processStepId", exec.id);
  field(out, "step", exec.step);
  field(out, "definition", p.definition);
  field(out, "version", p.version);
  if (!p.scope.empty()) field(out, "scope", p.scope);
  key(out, "params");
  append_contract(out, definition_step(engine, p, exec));
  key(out, "values");
  storage::append_values(out, p.vals);
  field(out, "waitingSince", exec.created_ms);
  field(out, "waitingSinceTime", model::format_iso_instant(exec.created_ms));
  if (exec.due_ms > 0) {
    field(out, "dueAt", exec.due_ms);
    field(out, "dueAtTime", model::format_iso_instant(exec.due_ms));
  }
  out += '}';
}

std::optional<std::int64_t> parse_limit(std::string_view s) {
  std::int64_t v{};
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size() || v < 1 || v > 1000)
    return std::nullopt;
  return v;
}

/// GET /api/v1/tasks: the open external steps a person could complete, oldest process first.
void list_tasks(actors::engine& engine, request_context ctx, const auth::client& who,
                responder respond) {
  storage::process_query q;
  q.status = model::process_status::running;
  if (auto d = ctx.query_value("definition")) q.definition = *d;
  if (auto s = ctx.query_value("scope")) q.scope = *s;
  if (auto a = ctx.query_value("after")) q.after = *a;
  if (auto l = ctx.query_value("limit")) {
    auto n = parse_limit(*l);
    if (!n)
      return respond(problem(status::bad_request, "Bad request", "limit must be 1..1000", "limit"));
    q.limit = static_cast<std::size_t>(*n);
  }
  std::string step = std::string(ctx.query_value("step").value_or(""));
  q.sandbox = engine.sandbox_mode();
  q.visible = [&who](std::string_view definition) { return who.may_use(definition); };
  q.where = [&step](const model::process_state& p) {
    const auto* exec = open_task(p);
    return exec && (step.empty() || exec->step == step);
  };
  auto listed = engine.store().list(q);
  if (!listed.ok()) return respond(storage_problem(listed.error(), "listing open tasks"));
  const auto& page = listed.value();
  std::string out = "{\"tasks\":[";
  for (const auto& p : page.states) {
    if (out.back() != '[') out += ',';
    append_task(out, engine, p);
  }
  out += "],\"next\":";
  out += page.next.empty() ? "null" : "\"" + json_escape(page.next) + "\"";
  out += '}';
  respond(json_response(status::ok, std::move(out)));
}

/// A 412 naming every failing param, with the contract the step expects.
response invalid_params(const actors::process_answer& a, const model::step* step) {
  std::string members = "\"errors\":[";
  for (const auto& [name, reason] : a.field_errors) {
    if (members.back() != '[') members += ',';
    members +=
        "{\"field\":\"/" + json_escape(name) + "\",\"reason\":\"" + json_escape(reason) + "\"}";
  }
  members += "],\"expected\":";
  append_contract(members, step);
  auto first = a.field_errors.empty() ? std::string() : "/" + a.field_errors.front().first;
  auto detail = a.field_errors.empty()
                    ? a.message
                    : a.field_errors.front().first + ": " + a.field_errors.front().second;
  return problem_with_members(status::precondition_failed, "Invalid params", detail, first,
                              members);
}

/// POST /api/v1/processes/{id}/steps/{stepId}/complete with the params as a plain JSON object.
void complete_native(actors::engine& engine, request_context ctx, const auth::client& who,
                     responder respond) {
  auto body = parse_json_body(ctx.req.body().empty() ? std::string_view("{}") : ctx.req.body());
  if (!body.ok()) {
    return respond(
        problem(status::bad_request, "Bad request", "body is not JSON: " + body.error, ""));
  }
  if (!body.root.is_object()) {
    return respond(problem(status::bad_request, "Bad request",
                           "body must be a JSON object of the step's params, e.g. "
                           "{\"approved\": true}",
                           ""));
  }
  model::values params;
  for (auto [name, v] : as_object(body.root)) params[std::string(name)] = to_value(v);
  auto step = std::string(ctx.param("stepId"));
  with_process_access(
      engine, who, ctx.param("id"), respond, native_format, [&](const model::process_state& p) {
        const auto* exec = named_execution(p, step);
        auto def = engine.definitions().find(p.definition, p.version);
        if (!exec && !(def && def->find_step(step))) {
          return respond(problem(status::not_found, "Not found",
                                 "process \"" + p.id + "\" has no step \"" + step + "\"", "step"));
        }
        const auto* active = p.active();
        if (!exec || exec != active || exec->kind != model::step_kind::external) {
          std::string now = active ? "it is at step \"" + active->step + "\"" : "no step is active";
          return respond(problem(status::conflict, "Step not waiting",
                                 "step \"" + step + "\" is not waiting for completion (" + now +
                                     ", process " + std::string(model::to_string(p.status)) + ")",
                                 "step"));
        }
        const model::step* contract = def ? def->find_step(exec->step) : nullptr;
        engine.complete_step(
            exec->id, std::move(params), who.name,
            [respond, contract, def](actors::process_answer a) {
              if (a.code == actors::engine_errc::ok) {
                return respond(
                    json_response(status::ok, a.process ? process_json(*a.process) : "{}"));
              }
              if (a.code == actors::engine_errc::invalid_params)
                return respond(invalid_params(a, contract));
              if (a.code == actors::engine_errc::not_waiting) {
                return respond(problem(status::conflict, "Step not waiting", a.message, "step"));
              }
              respond(engine_problem(a));
            });
      });
}

}  // namespace

void add_task_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  using auth::role;
  routes.add(
      verb::get, "/api/v1/tasks",
      auth::protect(auth, auth::native_schemes, role::runner, auth::problem_format,
                    [&engine](request_context ctx, const auth::client& who, responder respond) {
                      list_tasks(engine, std::move(ctx), who, std::move(respond));
                    }));
  routes.add(
      verb::post, "/api/v1/processes/{id}/steps/{stepId}/complete",
      auth::protect(auth, auth::native_schemes, role::runner, auth::problem_format,
                    [&engine](request_context ctx, const auth::client& who, responder respond) {
                      complete_native(engine, std::move(ctx), who, std::move(respond));
                    }));
}

}  // namespace baton::http
