#include "http/retry_api.hpp"

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/process_access.hpp"
#include "http/process_json.hpp"
#include "http/router.hpp"
#include "model/value.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// `{"values": {...}}` (optional, as the body is): each value of a declared input converted
/// to its type, as a start's are; others kept as they are.
std::variant<model::values, response> read_values(std::string_view body,
                                                  const model::definition* def) {
  model::values out;
  if (body.empty()) return out;
  auto parsed = parse_json_body(body);
  if (!parsed.ok()) return bad_request("body is not JSON: " + parsed.error, "");
  if (!parsed.root.is_object()) return bad_request("body must be a JSON object", "");
  for (auto [k, v] : as_object(parsed.root)) {
    if (k != "values") {
      return bad_request("unknown field \"" + std::string(k) + "\" (the body takes values)",
                         "/" + std::string(k));
    }
    if (!v.is_object()) return bad_request("values must be an object", "/values");
    for (auto [name, value] : as_object(v)) {
      auto given = to_value(value);
      const model::input_decl* decl = nullptr;
      if (def) {
        for (const auto& d : def->inputs)
          if (d.name == name) decl = &d;
      }
      if (decl && !given.is_null()) {
        auto converted = model::coerce(given, decl->type);
        if (!converted) {
          return bad_request(
              std::string(name) + ": expected " + std::string(model::type_name(decl->type)),
              "/values/" + std::string(name));
        }
        given = std::move(*converted);
      }
      out[std::string(name)] = std::move(given);
    }
  }
  return out;
}

/// POST /api/v1/processes/{id}/retry: a FAILED process runs again from the step that failed.
void retry_process(actors::engine& engine, request_context ctx, const auth::client& who,
                   responder respond) {
  with_process_access(
      engine, who, ctx.param("id"), respond, native_format, [&](const model::process_state& p) {
        if (p.status != model::process_status::failed) {
          return respond(problem(status::conflict, "Not failed",
                                 "process \"" + p.id + "\" is " +
                                     std::string(model::to_string(p.status)) +
                                     ": only a FAILED process can be retried",
                                 "id"));
        }
        auto def = engine.definitions().find(p.definition, p.version);
        auto values = read_values(ctx.req.body(), def.get());
        if (auto* refused = std::get_if<response>(&values)) return respond(std::move(*refused));
        engine.retry(
            p.id, p.scope, std::get<model::values>(std::move(values)), who.name,
            [respond](actors::process_answer a) {
              if (a.code != actors::engine_errc::ok) return respond(engine_problem(a));
              respond(json_response(status::ok, a.process ? process_json(*a.process) : "{}"));
            });
      });
}

}  // namespace

void add_retry_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  routes.add(
      verb::post, "/api/v1/processes/{id}/retry",
      auth::protect(
          auth, auth::native_schemes, auth::role::operator_, auth::problem_format,
          auth::audited(auth, "process_retried",
                        [&engine](request_context ctx, const auth::client& who, responder respond) {
                          retry_process(engine, std::move(ctx), who, std::move(respond));
                        })));
}

}  // namespace baton::http
