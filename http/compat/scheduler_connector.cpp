#include "http/compat/scheduler_connector.hpp"

#include <charconv>

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

response message(status code, std::string_view text) {
  return json_response(code, "{\"message\":\"" + json_escape(text) + "\"}");
}

/// The connector's request, read leniently as its clients send it: flags "Y"/"N", numbers
/// as strings or numbers.
struct start_body {
  std::string name;
  model::values values;
  std::string quartz;
  std::string start_date, end_date;
  std::optional<bool> run_once, run_immediately;
  std::optional<int> retry_count;
  bool has_retry_count = false;
  std::string worker;
};

std::optional<std::string> text_of(dom::element v) {
  switch (v.type()) {
    case dom::element_type::STRING:
      return std::string(v.get_string().value());
    case dom::element_type::INT64:
      return std::to_string(v.get_int64().value());
    case dom::element_type::UINT64:
      return std::to_string(v.get_uint64().value());
    case dom::element_type::NULL_VALUE:
      return std::string();
    default:
      return std::nullopt;
  }
}

std::optional<bool> flag_of(dom::element v) {
  if (v.is_bool()) return v.get_bool().value();
  auto t = text_of(v);
  if (t == "Y" || t == "y") return true;
  if (t == "N" || t == "n" || t == "") return false;
  return std::nullopt;
}

/// @returns the error message naming the field, or empty when the body is usable.
std::string read(std::string_view text, start_body& out) {
  auto body = parse_json_body(text);
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return "body must be a JSON object";
  }
  for (auto [k, v] : obj) {
    if (k == "name") {
      auto t = text_of(v);
      if (!t) return "name must be a string";
      out.name = *t;
    } else if (k == "values") {
      if (v.is_null()) continue;
      if (!v.is_object()) return "values must be an object";
      for (auto [vk, vv] : as_object(v)) out.values[std::string(vk)] = to_value(vv);
    } else if (k == "quartzDef" || k == "startDate" || k == "endDate" || k == "worker") {
      auto t = text_of(v);
      if (!t) return std::string(k) + " must be a string";
      if (k == "quartzDef")
        out.quartz = *t;
      else if (k == "startDate")
        out.start_date = *t;
      else if (k == "endDate")
        out.end_date = *t;
      else
        out.worker = *t;
    } else if (k == "runOnce" || k == "runImmediately" || k == "run immediately") {
      auto f = flag_of(v);
      if (!f) return std::string(k) + " must be \"Y\" or \"N\"";
      (k == "runOnce" ? out.run_once : out.run_immediately) = *f;
    } else if (k == "retryCount") {
      auto t = text_of(v);
      int n = -1;
      if (t && !t->empty()) {
        auto res = std::from_chars(t->data(), t->data() + t->size(), n);
        if (res.ec != std::errc{} || res.ptr != t->data() + t->size()) n = -1;
      }
      if (t && t->empty()) continue;
      if (n < 0 || n > 100) return "retryCount must be a whole number from 0 to 100";
      out.retry_count = n;
    }
    // Other fields are ignored, as the vendor's server does.
  }
  if (out.name.empty()) return "name is required";
  return {};
}

void start(actors::engine& engine, const config::settings& settings, request_context ctx,
           responder respond) {
  start_body b;
  if (auto error = read(ctx.req.body(), b); !error.empty()) {
    return respond(message(status::bad_request, error));
  }
  bool scheduled = !b.quartz.empty() || !b.start_date.empty() || !b.end_date.empty();
  if (!scheduled) {
    actors::start_request req;
    req.definition = b.name;
    req.values = std::move(b.values);
    req.retry_count = b.retry_count.value_or(0);
    req.worker = b.worker;
    return engine.start(std::move(req), [respond](actors::process_answer a) {
      if (a.code == actors::engine_errc::unknown_definition) {
        return respond(message(status::not_found, "name: " + a.message));
      }
      if (a.code != actors::engine_errc::ok) {
        auto field = a.field.empty() ? "" : "values." + a.field + ": ";
        return respond(message(passing_or(a.code, status::bad_request), field + a.message));
      }
      respond(json_response(
          status::ok, "{\"message\":\"Process saved\",\"robustaSpid\":\"" + a.process_id + "\"}"));
    });
  }
  for (auto [field, given] :
       {std::pair{"quartzDef", !b.quartz.empty()}, std::pair{"startDate", !b.start_date.empty()},
        std::pair{"endDate", !b.end_date.empty()},
        std::pair{"retryCount", b.retry_count.has_value()}}) {
    if (!given) {
      return respond(message(status::bad_request,
                             std::string(field) + " is required when the process is scheduled"));
    }
  }
  const auto& zone = settings.engine.time_zone;
  auto start_ms = model::parse_local_time(b.start_date, zone);
  if (!start_ms)
    return respond(message(status::bad_request, "startDate must be yyyy-MM-dd HH:mm:ss"));
  auto end_ms = model::parse_local_time(b.end_date, zone);
  if (!end_ms) return respond(message(status::bad_request, "endDate must be yyyy-MM-dd HH:mm:ss"));
  model::schedule s;
  s.definition = b.name;
  s.vals = std::move(b.values);
  s.cron = b.quartz;
  s.time_zone = zone;
  s.start_ms = start_ms;
  s.end_ms = end_ms;
  s.run_once = b.run_once.value_or(false);
  s.run_immediately = b.run_immediately.value_or(false);
  s.retry_count = *b.retry_count;
  s.worker = b.worker;
  engine.create_schedule(std::move(s), [respond](actors::schedule_answer a) {
    if (a.code == actors::engine_errc::unknown_definition) {
      return respond(message(status::not_found, "name: " + a.message));
    }
    if (a.code != actors::engine_errc::ok) {
      // Name the connector's field, not the native one.
      auto field = a.field == "cron" ? "quartzDef" : a.field;
      auto text = a.message;
      if (a.field == "cron") text = "quartzDef: " + text.substr(text.find(':') + 2);
      return respond(message(passing_or(a.code, status::bad_request), text));
    }
    respond(json_response(
        status::ok, "{\"message\":\"Process saved\",\"robustaSpid\":\"" + a.schedule.id + "\"}"));
  });
}

std::string_view connector_status(model::process_status s) {
  switch (s) {
    case model::process_status::waiting:
      return "WAITING";
    case model::process_status::running:
      return "RUNNING";
    case model::process_status::succeeded:
      return "SUCCEEDED";
    default:
      return "FAILED";
  }
}

void status_of(actors::engine& engine, request_context ctx, responder respond) {
  std::string id(ctx.param("robustaSpid"));
  auto& store = engine.store();
  auto unreadable = [&](const storage::status& failed) {
    auto refusal = refusal_of(failed, "reading a connector status");
    respond(message(refusal.status, refusal.message));
  };
  auto loaded = store.load_process(id);
  if (!loaded.ok()) return unreadable(loaded.error());
  std::optional<model::process_state> process = std::move(loaded).value();
  if (!process) {
    auto schedule = store.load_schedule(id);
    if (!schedule.ok()) return unreadable(schedule.error());
    if (!schedule.value()) {
      return respond(message(status::not_found, "robustaSpid " + id + " not found"));
    }
    const auto& runs = schedule.value()->runs;
    for (auto it = runs.rbegin(); it != runs.rend() && !process; ++it) {
      if (it->process_id.empty()) continue;
      auto run = store.load_process(it->process_id);
      if (!run.ok()) return unreadable(run.error());
      process = std::move(run).value();
    }
    if (!process) {
      return respond(
          json_response(status::ok,
                        "{\"status\":\"WAITING\",\"message\":\"Your transaction is waiting "
                        "for its first run.\"}"));
    }
  }
  auto st = connector_status(process->status);
  std::string text =
      process->status == model::process_status::succeeded ? "Your transaction has ended."
      : process->status == model::process_status::running ? "Your transaction is running."
      : process->status == model::process_status::waiting
          ? "Your transaction is waiting."
          : "Your transaction has failed: " + process->error;
  std::string out =
      "{\"status\":\"" + std::string(st) + "\",\"message\":\"" + json_escape(text) + "\"";
  for (const auto& [name, v] : process->outputs) {
    out += ",\"__out_" + json_escape(name) + "\":\"" + json_escape(model::to_display(v)) + "\"";
  }
  respond(json_response(status::ok, out + "}"));
}

/// The definition a start body names, for the permission check; empty when unreadable.
std::string read_name(std::string_view text) {
  start_body b;
  read(text, b);
  return b.name;
}

}  // namespace

void add_scheduler_connector_routes(router& routes, actors::engine& engine,
                                    auth::authenticator& auth, const config::settings& settings) {
  // HTTP Basic only, errors in the connector's {"message"} shape; a client may start only
  // the definitions its globs allow.
  auto basic = [&auth](auto fn) -> handler {
    return auth::protect(
        auth, auth::basic, auth::role::runner,
        [](status s, std::string_view text) { return message(s, text); },
        [fn](request_context ctx, const auth::client& who, responder respond) {
          fn(std::move(ctx), who, std::move(respond));
        });
  };
  for (std::string prefix : {"/scheduler/connector-api", "/scheduler/connector-API"}) {
    routes.add(
        verb::post, prefix + "/process/start",
        basic([&engine, &settings](request_context ctx, const auth::client& who,
                                   responder respond) {
          if (auto name = read_name(ctx.req.body()); !name.empty() && !who.may_use(name)) {
            return respond(message(status::forbidden, "name: this client may not start " + name));
          }
          start(engine, settings, std::move(ctx), std::move(respond));
        }));
    routes.add(verb::get, prefix + "/process/status/{robustaSpid}",
               basic([&engine](request_context ctx, const auth::client&, responder respond) {
                 status_of(engine, std::move(ctx), std::move(respond));
               }));
  }
}

}  // namespace baton::http::compat
