#include "http/message_api.hpp"

#include <algorithm>

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/value.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// A message buffered longer than 30 days is more likely a mistake than a plan.
constexpr std::int64_t max_ttl_ms = 30LL * 24 * 3600 * 1000;

response bad_request(std::string_view detail, std::string_view field) {
  return problem(status::bad_request, "Bad request", detail, field);
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    json_escape_to(out, items[i]);
    out += '"';
  }
  out += ']';
}

/// `{"completed", "processes", "buffered", "refused"?}`: each refused step with its reason
/// and, for params that do not fit its contract, the params.
std::string outcome_json(const actors::message_outcome& o) {
  std::string out = "{\"completed\":" + std::to_string(o.completed) + ",\"processes\":";
  append_string_array(out, o.processes);
  out += o.buffered ? ",\"buffered\":true" : ",\"buffered\":false";
  if (o.replayed) out += ",\"replayed\":true";
  if (!o.refused.empty()) {
    out += ",\"refused\":[";
    for (std::size_t i = 0; i < o.refused.size(); ++i) {
      const auto& r = o.refused[i];
      if (i) out += ',';
      out += "{\"processStepId\":\"";
      json_escape_to(out, r.step_id);
      out += "\",\"detail\":\"";
      json_escape_to(out, r.message);
      out += '"';
      if (!r.field_errors.empty()) {
        out += ",\"params\":{";
        for (std::size_t j = 0; j < r.field_errors.size(); ++j) {
          if (j) out += ',';
          out += '"';
          json_escape_to(out, r.field_errors[j].first);
          out += "\":\"";
          json_escape_to(out, r.field_errors[j].second);
          out += '"';
        }
        out += '}';
      }
      out += '}';
    }
    out += ']';
  }
  return out + "}";
}

/// A non-empty string member into `out`; a whole number is taken as its digits (a
/// correlation is often a numeric id).
std::optional<response> read_text(dom::element v, std::string_view field, bool numbers,
                                  std::string& out) {
  std::int64_t n = 0;
  if (numbers && v.get_int64().get(n) == simdjson::SUCCESS) {
    out = std::to_string(n);
  } else if (v.is_string() && !v.get_string().value().empty()) {
    out = std::string(v.get_string().value());
  } else {
    return bad_request(std::string(field) + " must be a non-empty string", field);
  }
  if (auto long_one = name_too_long(out, field)) return long_one;
  return std::nullopt;
}

/// `{"name", "correlation", "values"?, "ttlMs"?, "messageId"?}`.
void post_message(actors::engine& engine, request_context ctx, const auth::client& who,
                  responder respond) {
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("the body must be a JSON object", "body"));
  }
  actors::message_post m;
  bool has_name = false;
  bool has_correlation = false;
  for (auto [k, v] : obj) {
    if (k == "name") {
      if (auto bad = read_text(v, k, false, m.name)) return respond(std::move(*bad));
      has_name = true;
    } else if (k == "correlation") {
      if (auto bad = read_text(v, k, true, m.correlation)) return respond(std::move(*bad));
      has_correlation = true;
    } else if (k == "messageId") {
      if (auto bad = read_text(v, k, true, m.message_id)) return respond(std::move(*bad));
    } else if (k == "values") {
      if (v.is_null()) continue;
      if (!v.is_object()) return respond(bad_request("values must be an object", "values"));
      for (auto [name, value] : as_object(v)) m.values[std::string(name)] = to_value(value);
    } else if (k == "ttlMs") {
      std::int64_t n = 0;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0 || n > max_ttl_ms) {
        return respond(bad_request(
            "ttlMs must be a whole number from 0 to " + std::to_string(max_ttl_ms), "ttlMs"));
      }
      m.ttl_ms = n;
    } else {
      return respond(bad_request("unknown field (name, correlation, values, ttlMs, messageId)", k));
    }
  }
  if (!has_name) return respond(bad_request("name is required", "name"));
  if (!has_correlation) return respond(bad_request("correlation is required", "correlation"));
  m.by = who.name;
  if (std::ranges::find(who.definitions, "*") == who.definitions.end()) {
    m.may_use = [who](std::string_view definition) { return who.may_use(definition); };
  }
  engine.post_message(std::move(m), [respond](actors::message_outcome o) {
    if (o.code != actors::engine_errc::ok) {
      actors::process_answer a;
      a.code = o.code;
      a.message = o.message;
      return respond(engine_problem(a));
    }
    respond(json_response(status::ok, outcome_json(o)));
  });
}

}  // namespace

void add_message_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  routes.add(
      verb::post, "/api/v1/messages",
      auth::protect(auth, auth::native_schemes, auth::role::runner, auth::problem_format,
                    [&engine](request_context ctx, const auth::client& who, responder respond) {
                      post_message(engine, std::move(ctx), who, std::move(respond));
                    }));
}

}  // namespace baton::http
