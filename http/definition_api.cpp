#include "http/definition_api.hpp"

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/process_access.hpp"
#include "http/router.hpp"
#include "model/json_write.hpp"
#include "model/time.hpp"
#include "outgoing/allow_list.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// The API view of a definition version; a retired name's versions say so:
/// `"retired":true,"retiredMs":N,"retiredAt":"…Z","retiredBy":"client"`.
std::string definition_document(actors::engine& engine, const model::definition& def) {
  auto out = storage::definition_json(def);
  auto retired = engine.definitions().retirement(def.name);
  if (!retired || out.size() < 2) return out;
  out.pop_back();
  using namespace model::json_write;
  field(out, "retired", true);
  field(out, "retiredMs", retired->at_ms);
  time_field(out, "retiredAt", retired->at_ms);
  if (!retired->by.empty()) field(out, "retiredBy", retired->by);
  out += '}';
  return out;
}

/// `"warnings":[{"pointer","message"}]` for the http steps whose literal host
/// `outgoing.allow_hosts` does not allow: they would fail at run time. A URL whose host is a
/// `${...}` hole can only be checked when it is called. Empty when there is nothing to say.
std::string host_warnings(const model::definition& def, const outgoing::allow_list& allowed) {
  std::string out;
  for (std::size_t i = 0; i < def.steps.size(); ++i) {
    const auto& s = def.steps[i];
    if (s.kind != model::step_kind::http) continue;
    // What comes before the first `${` is literal; the host is known when it ends there.
    auto literal = std::string_view(s.http.url).substr(0, s.http.url.find("${"));
    auto scheme_end = literal.find("://");
    if (scheme_end == std::string_view::npos) continue;
    bool templated = literal.size() < s.http.url.size();
    if (templated && literal.find('/', scheme_end + 3) == std::string_view::npos) continue;
    auto target = outgoing::parse_target(literal);
    auto* t = std::get_if<outgoing::url_target>(&target);
    if (!t) continue;
    auto why = allowed.refusal(*t);
    if (why.empty()) continue;
    out += out.empty() ? "[" : ",";
    out += R"({"pointer":"/steps/)" + std::to_string(i) + R"(/http/url","message":")" +
           json_escape(why + "; calls will fail until outgoing.allow_hosts allows it") + "\"}";
  }
  return out.empty() ? out : out + "]";
}

void put_definition(actors::engine& engine, request_context ctx, const auth::client& who,
                    responder respond, const outgoing::allow_list& allowed) {
  auto name = std::string(ctx.param("name"));
  std::string body = ctx.req.body();
  auto parsed_body = parse_json_body(body);
  if (!parsed_body.ok()) return respond(bad_request("body is not JSON: " + parsed_body.error, ""));
  if (!parsed_body.root.is_object()) return respond(bad_request("body is not a JSON object", ""));
  auto given_name = member(as_object(parsed_body.root), "name");
  if (!given_name) {
    body.insert(1, "\"name\":\"" + json_escape(name) + "\"" + (body.size() > 2 ? "," : ""));
  } else if (!given_name->is_string() || given_name->get_string().value() != name) {
    return respond(bad_request("name in the body differs from the path", "/name"));
  }
  if (!who.may_use(name)) return respond(forbidden_definition(name));
  auto parsed = storage::parse_definition(body);
  if (auto* problems = std::get_if<std::vector<model::definition_problem>>(&parsed)) {
    std::string detail;
    for (const auto& p : *problems) detail += (detail.empty() ? "" : "; ") + p.to_string();
    auto r = problem(status::bad_request, "Invalid definition", detail, problems->front().pointer);
    // Every problem, machine-readable, beside the summary.
    auto& text = r.body();
    text.pop_back();
    text += ",\"errors\":[";
    for (std::size_t i = 0; i < problems->size(); ++i) {
      text += (i ? ",{" : "{");
      text += "\"pointer\":\"" + json_escape((*problems)[i].pointer) + "\",\"message\":\"" +
              json_escape((*problems)[i].message) + "\"}";
    }
    text += "]}";
    r.prepare_payload();
    return respond(std::move(r));
  }
  auto warnings = host_warnings(std::get<model::definition>(parsed), allowed);
  engine.deploy(std::move(std::get<model::definition>(parsed)),
                [respond, warnings](actors::deploy_answer a) {
                  if (a.code != actors::engine_errc::ok) {
                    auto m = map_error(a.code);
                    return respond(problem(m.status, m.title, a.message));
                  }
                  auto body = storage::definition_json(*a.definition);
                  if (!warnings.empty() && body.size() > 1) {
                    body.pop_back();
                    body += ",\"warnings\":" + warnings + "}";
                  }
                  respond(json_response(a.created ? status::created : status::ok, std::move(body)));
                });
}

void get_definition(actors::engine& engine, request_context ctx, const auth::client& who,
                    responder respond) {
  std::optional<std::int64_t> version;
  if (auto v = ctx.query_value("version")) {
    version = parse_whole_int(*v);
    if (!version) return respond(bad_request("version must be an integer", "version"));
  }
  auto def = engine.definitions().find(ctx.param("name"), version);
  if (def && !who.may_use(def->name)) return respond(forbidden_definition(def->name));
  if (!def) {
    return respond(problem(status::not_found, "Unknown definition",
                           "no definition \"" + std::string(ctx.param("name")) + "\"", "name"));
  }
  respond(json_response(status::ok, definition_document(engine, *def)));
}

void list_definitions(actors::engine& engine, request_context ctx, const auth::client& who,
                      responder respond) {
  bool with_retired = false;
  if (auto r = ctx.query_value("retired")) {
    if (*r != "true" && *r != "false") {
      return respond(bad_request("retired must be true or false", "retired"));
    }
    with_retired = *r == "true";
  }
  std::string out = "[";
  for (const auto& d : engine.definitions().latest()) {
    if (!who.may_use(d->name)) continue;
    if (!with_retired && engine.definitions().retirement(d->name)) continue;
    if (out.size() > 1) out += ',';
    out += definition_document(engine, *d);
  }
  out += ']';
  respond(json_response(status::ok, std::move(out)));
}

/// DELETE /api/v1/definitions/{name}: retires the name (see `add_definition_routes`).
void retire_definition(actors::engine& engine, request_context ctx, const auth::client& who,
                       responder respond) {
  auto def = engine.definitions().find(ctx.param("name"));
  if (def && !who.may_use(def->name)) return respond(forbidden_definition(def->name));
  if (!def) {
    return respond(problem(status::not_found, "Unknown definition",
                           "no definition \"" + std::string(ctx.param("name")) + "\"", "name"));
  }
  // A schedule of a retired name would fail at every fire: its owner removes it first.
  auto schedules = engine.store().load_schedules();
  if (!schedules.ok()) return respond(storage_problem(schedules.error(), "reading schedules"));
  std::string using_it;
  for (const auto& s : schedules.value()) {
    if (s.definition == def->name) using_it += (using_it.empty() ? "" : ", ") + s.id;
  }
  if (!using_it.empty()) {
    return respond(problem(status::conflict, "Definition in use",
                           "schedules still start \"" + def->name + "\": " + using_it +
                               "; delete them before retiring it",
                           "name"));
  }
  engine.retire(def->name, who.name, [&engine, respond](actors::retire_answer a) {
    if (a.code != actors::engine_errc::ok) {
      auto m = map_error(a.code);
      return respond(problem(m.status, m.title, a.message, "name"));
    }
    respond(json_response(status::ok, definition_document(engine, *a.definition)));
  });
}

}  // namespace

void add_definition_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                           const config::outgoing_settings& outgoing) {
  using auth::role;
  auto add = [&](verb method, const char* pattern, role need, auth::guarded_handler h,
                 const char* audited = nullptr) {
    if (audited) h = auth::audited(auth, audited, std::move(h));
    routes.add(method, pattern,
               auth::protect(auth, auth::native_schemes, need, auth::problem_format, std::move(h)));
  };
  auto hosts = std::make_shared<const outgoing::allow_list>(outgoing.allow_hosts);
  add(
      verb::put, "/api/v1/definitions/{name}", role::admin,
      [&engine, hosts](request_context ctx, const auth::client& who, responder respond) {
        put_definition(engine, std::move(ctx), who, std::move(respond), *hosts);
      },
      "definition_deployed");
  add(
      verb::delete_, "/api/v1/definitions/{name}", role::admin,
      [&engine](request_context ctx, const auth::client& who, responder respond) {
        retire_definition(engine, std::move(ctx), who, std::move(respond));
      },
      "definition_retired");
  add(verb::get, "/api/v1/definitions/{name}", role::runner,
      [&engine](request_context ctx, const auth::client& who, responder respond) {
        get_definition(engine, std::move(ctx), who, std::move(respond));
      });
  add(verb::get, "/api/v1/definitions", role::runner,
      [&engine](request_context ctx, const auth::client& who, responder respond) {
        list_definitions(engine, std::move(ctx), who, std::move(respond));
      });
}

}  // namespace baton::http
