#include "http/compat/process_engine.hpp"

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/process.hpp"
#include "storage/json_codec.hpp"

namespace baton::http::compat {

using beast_http::status;
using beast_http::verb;

namespace {

/// How long a call that asked for results waits for the process to end.
constexpr std::int64_t result_wait_ms = 60'000;

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

response data_contract_string(std::string_view json_text) {
  return text_response(status::ok,
                       "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">" +
                           xml_escape(json_text) + "</string>",
                       "application/xml; charset=utf-8");
}

/// The service's fault shape, as its WCF clients parse it.
response fault(status s, std::string_view message) {
  return json_response(s, "{\"success\":false,\"errorInfo\":{\"message\":\"" +
                              json_escape(message) + "\",\"errorCode\":\"" +
                              std::to_string(static_cast<int>(s)) + "\"}}");
}

/// An output as the vendor serialises it: the value as JSON ("User Surname" with quotes).
std::string serialised_output(const actors::process_answer& a, std::string_view name) {
  auto it = a.outputs.find(name);
  return it == a.outputs.end() ? "null" : model::to_json(it->second);
}

void execute(actors::engine& engine, request_context ctx, const auth::client& who,
             responder respond) {
  std::string schema(ctx.param("schema"));
  if (!who.may_use(schema))
    return respond(fault(status::forbidden, "this user may not run " + schema));
  actors::start_request req;
  req.definition = schema;
  std::string result_name;
  for (const auto& [k, v] : ctx.query) {
    if (k == "ResultParameterName")
      result_name = v;
    else
      req.values[k] = model::value::of_string(v);  // converted to declared types by the engine
  }
  if (!result_name.empty()) req.wait_timeout_ms = result_wait_ms;
  engine.start(std::move(req), [respond, result_name](actors::process_answer a) {
    using actors::engine_errc;
    if (a.code == engine_errc::unknown_definition) {
      return respond(fault(status::not_found, "process schema not found"));
    }
    if (a.code == engine_errc::invalid_input) {
      return respond(fault(status::bad_request, "parameter " + a.message));
    }
    if (a.code != engine_errc::ok) {
      return respond(fault(passing_or(a.code, status::internal_server_error), a.message));
    }
    if (result_name.empty()) {
      auto r = text_response(status::ok, "");
      r.set("X-Process-Id", a.process_id);
      return respond(std::move(r));
    }
    auto r = data_contract_string(serialised_output(a, result_name));
    r.set("X-Process-Id", a.process_id);
    respond(std::move(r));
  });
}

void exec_element(actors::engine& engine, request_context ctx, const auth::client&,
                  responder respond) {
  std::string uid(ctx.param("uid"));
  auto process_id = model::process_id_of_step(uid);
  if (!process_id) return respond(fault(status::not_found, "process element not found"));
  engine.execute(std::string(*process_id), uid, [respond](actors::process_answer a) {
    using actors::engine_errc;
    if (a.code == engine_errc::ok) return respond(data_contract_string("true"));
    if (a.code == engine_errc::not_found)
      return respond(fault(status::not_found, "process element not found"));
    respond(fault(status::conflict, a.message));
  });
}

void run_process(actors::engine& engine, request_context ctx, const auth::client& who,
                 responder respond) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok() || !body.root.is_object())
    return respond(fault(status::bad_request, "body is not JSON"));
  auto obj = as_object(body.root);
  auto schema = member(obj, "schemaName");
  if (!schema || !schema->is_string())
    return respond(fault(status::bad_request, "schemaName is required"));
  actors::start_request req;
  req.definition = std::string(schema->get_string().value());
  if (!who.may_use(req.definition)) {
    return respond(fault(status::forbidden, "this user may not run " + req.definition));
  }
  if (auto values = member(obj, "parameterValues"); values && values->is_object()) {
    for (auto [k, v] : as_object(*values)) req.values[std::string(k)] = to_value(v);
  }
  std::vector<std::string> results;
  if (auto names = member(obj, "resultParameterNames"); names && names->is_array()) {
    for (auto n : as_array(*names)) {
      if (n.is_string()) results.emplace_back(n.get_string().value());
    }
  }
  if (!results.empty()) req.wait_timeout_ms = result_wait_ms;
  engine.start(std::move(req), [respond, results](actors::process_answer a) {
    using actors::engine_errc;
    if (a.code != engine_errc::ok) {
      auto s = a.code == engine_errc::unknown_definition ? status::not_found
               : a.code == engine_errc::invalid_input
                   ? status::bad_request
                   : passing_or(a.code, status::internal_server_error);
      return respond(fault(s, a.message));
    }
    std::string out = "{\"processId\":\"" + a.process_id + "\",\"processStatus\":\"" +
                      std::string(model::to_string(a.status)) + "\",\"resultParameterValues\":{";
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto it = a.outputs.find(results[i]);
      out += (i ? ",\"" : "\"") + json_escape(results[i]) +
             "\":" + (it == a.outputs.end() ? "null" : model::to_json(it->second));
    }
    bool failed =
        a.status == model::process_status::failed || a.status == model::process_status::cancelled;
    out += "},\"success\":" + std::string(failed ? "false" : "true") + ",\"errorInfo\":";
    if (failed) {
      out += "{\"message\":\"" + json_escape(a.process ? a.process->error : "") +
             "\",\"errorCode\":\"" + std::string(model::to_string(a.status)) + "\"}}";
    } else {
      out += "null}";
    }
    respond(json_response(status::ok, std::move(out)));
  });
}

}  // namespace

void add_process_engine_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  auto guarded = [&auth](
                     void (*fn)(actors::engine&, request_context, const auth::client&, responder),
                     actors::engine& e) {
    return auth::protect(auth, auth::session, auth::role::runner, fault,
                         [fn, &e](request_context ctx, const auth::client& who, responder r) {
                           fn(e, std::move(ctx), who, std::move(r));
                         });
  };
  // The application prefix (/7.15.1.1295_SalesEnterprise) and the /0 segment are optional.
  for (std::string prefix : {"", "/0", "/{app}", "/{app}/0"}) {
    auto base = prefix + "/ServiceModel/ProcessEngineService.svc";
    for (auto method : {verb::get, verb::post}) {
      routes.add(method, base + "/{schema}/Execute", guarded(execute, engine));
      routes.add(method, base + "/ExecProcElByUId/{uid}", guarded(exec_element, engine));
    }
    routes.add(verb::post, base + "/RunProcess", guarded(run_process, engine));
  }
}

}  // namespace baton::http::compat
