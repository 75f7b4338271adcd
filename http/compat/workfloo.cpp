#include "http/compat/workfloo.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <variant>

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/compat/workfloo_view.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/time.hpp"
#include "outgoing/callback_target.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http::compat {

using beast_http::status;
using beast_http::verb;

namespace {

constexpr std::size_t default_page_size = 20;
constexpr std::size_t max_page_size = 100;
/// Page numbers cost a scan over every item before the page: deep pages are refused.
constexpr std::size_t max_page = 10'000;
constexpr std::int64_t day_ms = 86'400'000;

// ---- the vendor's error envelope -----------------------------------------------------------

/// `{"typeError": type, "errors": errors_json, "errorMessage": message}`.
response error(status s, std::string_view type, std::string_view errors_json,
               std::string_view message) {
  return json_response(s, "{\"typeError\":\"" + std::string(type) +
                              "\",\"errors\":" + std::string(errors_json) + ",\"errorMessage\":\"" +
                              json_escape(message) + "\"}");
}

/// `{"field": "reason", …}` for the `errors` member.
std::string errors_object(const std::vector<std::pair<std::string, std::string>>& errors) {
  std::string out = "{";
  for (const auto& [name, reason] : errors) {
    if (out.size() > 1) out += ',';
    out += '"' + json_escape(name) + "\":\"" + json_escape(reason) + '"';
  }
  return out + "}";
}

response field_errors(std::vector<std::pair<std::string, std::string>> errors) {
  bool only_missing =
      std::ranges::all_of(errors, [](const auto& e) { return e.second == "required"; });
  return error(status::bad_request, only_missing ? "REQUIRED_FIELDS" : "VALIDATION_ERROR",
               errors_object(errors), "");
}

response not_found(std::string_view what) {
  return error(status::not_found, "ELEMENT_NOT_EXIST_ERROR", "null",
               std::string(what) + " not found");
}

/// A read that failed, in the envelope: 503, or 507 when the volume is full.
response unreadable(const storage::status& failed) {
  auto refusal = refusal_of(failed, "reading for workfloo");
  return error(refusal.status,
               refusal.status == status::insufficient_storage ? "INSUFFICIENT_STORAGE"
                                                              : "SERVICE_UNAVAILABLE",
               "null", refusal.message);
}

/// 401 carries no body; 403 and 429 the envelope.
response auth_error(status s, std::string_view message) {
  if (s == status::unauthorized) return text_response(s, "");
  return error(s, s == status::forbidden ? "FORBIDDEN" : "TOO_MANY_REQUESTS", "null", message);
}

// ---- start ---------------------------------------------------------------------------------

/// The start request as the body gives it, before the definition is looked up.
struct start_body {
  std::string definition;
  std::string scenario;
  model::values form;
  std::optional<model::value> document;
  std::string callback_url;
  std::string callback_key;
};

std::variant<start_body, response> read_start_body(std::string_view text,
                                                   const outgoing::allow_list& callback_hosts) {
  auto body = parse_json_body(text);
  if (!body.ok() || !body.root.is_object()) {
    return error(status::bad_request, "INVALID_JSON", "null", "the body is not a JSON object");
  }
  start_body out;
  std::vector<std::pair<std::string, std::string>> problems;
  auto text_of = [&](dom::element v, std::string_view name, std::string& into) {
    if (v.is_null()) return;
    if (v.is_string())
      into = std::string(v.get_string().value());
    else
      problems.emplace_back(name, "must be a string");
  };
  for (auto [k, v] : as_object(body.root)) {
    if (k == "idWorkflooDefinition") {
      text_of(v, k, out.definition);
    } else if (k == "scenarioId") {
      text_of(v, k, out.scenario);
    } else if (k == "callbackUrl") {
      text_of(v, k, out.callback_url);
    } else if (k == "callbackXApiKey") {
      text_of(v, k, out.callback_key);
    } else if (k == "form") {
      if (v.is_object()) {
        for (auto [name, val] : as_object(v)) out.form[std::string(name)] = to_value(val);
      } else if (!v.is_null()) {
        problems.emplace_back("form", "must be an object");
      }
    } else if (k == "document") {
      if (v.is_object())
        out.document = to_value(v);
      else if (!v.is_null())
        problems.emplace_back("document", "must be an object");
    }  // other members are the vendor's business: ignored, as its own server does
  }
  if (out.definition.empty() && std::ranges::none_of(problems, [](const auto& p) {
        return p.first == "idWorkflooDefinition";
      })) {
    problems.emplace_back("idWorkflooDefinition", "required");
  }
  if (!out.callback_url.empty()) {
    auto why = outgoing::callback_url_problem(out.callback_url, callback_hosts);
    if (!why.empty()) {
      problems.emplace_back("callbackUrl", why);
    }
  }
  if (!out.callback_key.empty()) {
    auto why = outgoing::callback_header_problem("x-api-key", out.callback_key);
    if (!why.empty()) {
      problems.emplace_back("callbackXApiKey", why);
    }
  }
  if (!problems.empty()) return field_errors(std::move(problems));
  return out;
}

response start_answer(actors::process_answer a) {
  using actors::engine_errc;
  switch (a.code) {
    case engine_errc::ok:
      return json_response(status::ok, "{\"id\":\"" + a.process_id + "\",\"idUnykoo\":" +
                                           std::to_string(workfloo::number_of(a.process_id)) + "}");
    case engine_errc::unknown_definition:
      return not_found("idWorkflooDefinition");
    case engine_errc::unknown_scenario:
      return not_found("scenarioId");
    case engine_errc::scenario_required:
      return error(status::bad_request, "ELEMENT_NOT_EXIST_ERROR", "null", "scenarioId not found");
    case engine_errc::invalid_input:
      return field_errors(
          a.field_errors.empty()
              ? std::vector<std::pair<std::string, std::string>>{{a.field, a.message}}
              : std::move(a.field_errors));
    case engine_errc::shutting_down:
    case engine_errc::timed_out:
    case engine_errc::storage_unavailable:
      return error(status::service_unavailable, "SERVICE_UNAVAILABLE", "null", a.message);
    case engine_errc::storage_full:
      return error(status::insufficient_storage, "INSUFFICIENT_STORAGE", "null", a.message);
    default:
      return error(status::internal_server_error, "INTERNAL_ERROR", "null", a.message);
  }
}

void start(actors::engine& engine, const config::settings& settings,
           const outgoing::allow_list& callback_hosts, request_context ctx, const auth::client& who,
           responder respond) {
  bool sandbox = settings.engine.mode == config::engine_mode::sandbox;
  if (auto flag = ctx.query_value("sandbox")) {
    if (*flag != "true" && *flag != "false") {
      return respond(field_errors({{"sandbox", "must be true or false"}}));
    }
    sandbox = sandbox || *flag == "true";
  }
  auto parsed = read_start_body(ctx.req.body(), callback_hosts);
  if (auto* r = std::get_if<response>(&parsed)) return respond(std::move(*r));
  auto& body = std::get<start_body>(parsed);
  auto def = engine.definitions().find(body.definition);
  if (!def) return respond(not_found("idWorkflooDefinition"));
  if (!who.may_use(def->name)) {
    return respond(
        error(status::forbidden, "FORBIDDEN", "null", "this key may not run " + def->name));
  }
  actors::start_request req;
  req.definition = def->name;
  req.version = def->version;
  req.values = std::move(body.form);
  if (body.document) req.values["document"] = std::move(*body.document);
  req.sandbox = sandbox;
  if (sandbox) req.scenario = std::move(body.scenario);  // a real run has no scenario to take
  if (!body.callback_url.empty()) {
    model::callback_target target;
    target.url = std::move(body.callback_url);
    if (!body.callback_key.empty()) target.headers.emplace_back("x-api-key", body.callback_key);
    target.format = "workfloo";
    req.callback = std::move(target);
  }
  engine.start(std::move(req),
               [respond](actors::process_answer a) { respond(start_answer(std::move(a))); });
}

// ---- reading -------------------------------------------------------------------------------

/// Runs `render` on the process `{id}` when it exists and `who` may see it.
template <class Render>
void with_execution(actors::engine& engine, const request_context& ctx, const auth::client& who,
                    const responder& respond, Render render) {
  auto loaded = engine.store().load_process(ctx.param("id"));
  if (!loaded.ok()) return respond(unreadable(loaded.error()));
  const auto& p = loaded.value();
  if (!p) return respond(not_found("workfloo"));
  if (!who.may_use(p->definition)) {
    return respond(error(status::forbidden, "FORBIDDEN", "null", "this key may not read it"));
  }
  auto def = engine.definitions().find(p->definition, p->version);
  respond(json_response(status::ok, render(*p, def.get())));
}

/// The listing's query: page, itemsPerPage, status, from, to, sandbox.
struct list_query {
  std::size_t page = 1;
  storage::process_query store;
};

std::optional<std::int64_t> positive(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 1) return std::nullopt;
  return v;
}

/// An ISO-8601 instant, or a day ("2026-11-22", UTC): its first ms, or with `end_of_day`
/// its last.
std::optional<std::int64_t> instant(std::string_view s, bool end_of_day) {
  if (s.size() == 10) {
    auto day = model::parse_local_time(std::string(s) + " 00:00:00", "UTC");
    if (day && end_of_day) return *day + day_ms - 1;
    return day;
  }
  return model::parse_iso_instant(s);
}

std::variant<list_query, response> read_list_query(const request_context& ctx,
                                                   const config::settings& settings) {
  list_query q;
  // A sandbox server makes only sandbox executions: list those unless told otherwise.
  q.store.sandbox = settings.engine.mode == config::engine_mode::sandbox;
  std::vector<std::pair<std::string, std::string>> problems;
  q.store.limit = default_page_size;
  q.store.newest_first = true;
  if (auto v = ctx.query_value("page")) {
    if (auto n = positive(*v))
      q.page = static_cast<std::size_t>(*n);
    else
      problems.emplace_back("page", "must be a positive integer");
  }
  if (auto v = ctx.query_value("itemsPerPage")) {
    auto n = positive(*v);
    if (n && *n <= static_cast<std::int64_t>(max_page_size))
      q.store.limit = static_cast<std::size_t>(*n);
    else
      problems.emplace_back("itemsPerPage", "must be an integer from 1 to 100");
  }
  if (auto v = ctx.query_value("status"); v && !v->empty()) {
    q.store.status = workfloo::parse_status(*v);
    if (!q.store.status) {
      problems.emplace_back("status", "must be PENDING, IN_PROGRESS, FINISHED, ERROR or CANCELLED");
    }
  }
  if (auto v = ctx.query_value("from"); v && !v->empty()) {
    q.store.created_from_ms = instant(*v, false);
    if (!q.store.created_from_ms)
      problems.emplace_back("from", "must be a date or an ISO-8601 instant");
  }
  if (auto v = ctx.query_value("to"); v && !v->empty()) {
    q.store.created_to_ms = instant(*v, true);
    if (!q.store.created_to_ms)
      problems.emplace_back("to", "must be a date or an ISO-8601 instant");
  }
  if (auto v = ctx.query_value("sandbox")) {
    if (*v != "true" && *v != "false") problems.emplace_back("sandbox", "must be true or false");
    q.store.sandbox = *v == "true";
  }
  if (q.page > max_page)
    problems.emplace_back("page",
                          "must be at most 10000: narrow the listing with status, from or to");
  if (!problems.empty()) return field_errors(std::move(problems));
  q.store.skip = (q.page - 1) * q.store.limit;
  return q;
}

/// One page of executions `who` may see, newest first.
struct listed_page {
  std::vector<std::pair<model::process_state, actors::definition_registry::definition_ptr>> items;
  bool has_next = false;
};

/// A page of the listing, or the answer to a listing that could not be read.
std::variant<listed_page, response> list_page(actors::engine& engine, const auth::client& who,
                                              storage::process_query q) {
  listed_page out;
  q.visible = [&who](std::string_view definition) { return who.may_use(definition); };
  auto listed = engine.store().list(q);
  if (!listed.ok()) return unreadable(listed.error());
  auto& page = listed.value();
  out.has_next = !page.next.empty();
  for (auto& p : page.states) {
    auto def = engine.definitions().find(p.definition, p.version);
    out.items.emplace_back(std::move(p), std::move(def));
  }
  return out;
}

void list_v1(actors::engine& engine, const config::settings& settings, request_context ctx,
             const auth::client& who, responder respond) {
  auto parsed = read_list_query(ctx, settings);
  if (auto* r = std::get_if<response>(&parsed)) return respond(std::move(*r));
  auto& q = std::get<list_query>(parsed);
  auto listed = list_page(engine, who, q.store);
  if (auto* r = std::get_if<response>(&listed)) return respond(std::move(*r));
  auto& page = std::get<listed_page>(listed);
  auto now = engine.now_ms();
  std::string out = "{\"currentPage\":" + std::to_string(q.page) +
                    ",\"hasNextPage\":" + (page.has_next ? "true" : "false") + ",\"items\":[";
  for (const auto& [p, def] : page.items) {
    if (out.back() != '[') out += ',';
    out += workfloo::list_item_json(p, def.get(), now);
  }
  respond(json_response(status::ok, out + "]}"));
}

/// `s` percent-encoded as a query component (RFC 3986 unreserved characters stay).
std::string query_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The request's own URL with `page` set to `page`, for the Link header.
std::string page_url(const request_context& ctx, std::size_t page) {
  std::string url = ctx.path + "?page=" + std::to_string(page);
  for (const auto& [k, v] : ctx.query) {
    if (k == "page") continue;
    url += '&' + query_component(k) + '=' + query_component(v);
  }
  return url;
}

void list_v2(actors::engine& engine, const config::settings& settings, request_context ctx,
             const auth::client& who, responder respond) {
  auto parsed = read_list_query(ctx, settings);
  if (auto* r = std::get_if<response>(&parsed)) return respond(std::move(*r));
  auto& q = std::get<list_query>(parsed);
  auto format = ctx.query_value("format").value_or("json");
  if (format != "json" && format != "csv") {
    return respond(field_errors({{"format", "must be json or csv"}}));
  }
  auto listed = list_page(engine, who, q.store);
  if (auto* r = std::get_if<response>(&listed)) return respond(std::move(*r));
  auto& page = std::get<listed_page>(listed);
  response r;
  if (format == "csv") {
    std::string out(workfloo::csv_header());
    for (const auto& [p, def] : page.items) out += workfloo::csv_line(p, def.get());
    r = text_response(status::ok, std::move(out), "text/csv; charset=utf-8");
  } else {
    auto now = engine.now_ms();
    std::string out = "[";
    for (const auto& [p, def] : page.items) {
      if (out.size() > 1) out += ',';
      out += workfloo::list_item_json(p, def.get(), now);
    }
    r = json_response(status::ok, out + "]");
  }
  std::string links;
  if (page.has_next) links = "<" + page_url(ctx, q.page + 1) + ">; rel=\"next\"";
  if (q.page > 1) {
    if (!links.empty()) links += ", ";
    links += "<" + page_url(ctx, q.page - 1) + ">; rel=\"prev\"";
  }
  if (!links.empty()) r.set(beast_http::field::link, links);
  respond(std::move(r));
}

}  // namespace

actors::callback_renderer workfloo_callback_renderer(model::clock_ms clock) {
  return [clock](const model::process_state& p, const model::definition* def) {
    return workfloo::status_json(p, def, clock());
  };
}

void add_workfloo_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                         const config::settings& settings) {
  auto guarded = [&auth](auth::guarded_handler h) {
    return auth::protect(auth, auth::api_key, auth::role::runner, auth_error, std::move(h));
  };
  routes.add(verb::post, "/api/v1/workfloo",
             guarded([&engine, &settings,
                      callback_hosts = std::make_shared<const outgoing::allow_list>(
                          settings.outgoing.allow_hosts)](request_context ctx,
                                                          const auth::client& who, responder r) {
               start(engine, settings, *callback_hosts, std::move(ctx), who, std::move(r));
             }));
  routes.add(verb::get, "/api/v1/workfloo/status/{id}",
             guarded([&engine](request_context ctx, const auth::client& who, responder r) {
               with_execution(engine, ctx, who, r, [&engine](const auto& p, const auto* def) {
                 return workfloo::status_json(p, def, engine.now_ms());
               });
             }));
  routes.add(verb::get, "/api/v1/workfloo/{id}",
             guarded([&engine](request_context ctx, const auth::client& who, responder r) {
               with_execution(engine, ctx, who, r, [&engine](const auto& p, const auto* def) {
                 return workfloo::execution_json(p, def, engine.now_ms());
               });
             }));
  routes.add(
      verb::get, "/api/v1/workfloo",
      guarded([&engine, &settings](request_context ctx, const auth::client& who, responder r) {
        list_v1(engine, settings, std::move(ctx), who, std::move(r));
      }));
  routes.add(
      verb::get, "/api/v2/workfloo",
      guarded([&engine, &settings](request_context ctx, const auth::client& who, responder r) {
        list_v2(engine, settings, std::move(ctx), who, std::move(r));
      }));
}

}  // namespace baton::http::compat
