#include "http/schedule_api.hpp"

#include <charconv>
#include <chrono>

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "model/cron.hpp"
#include "model/time.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

std::string schedule_json(const model::schedule& s, std::size_t next_count) {
  auto out = std::string(storage::json_of(storage::encode_schedule(s)));
  out.pop_back();
  out += ",\"nextFireTimes\":[";
  std::int64_t at = s.next_fire_ms;
  for (std::size_t i = 0; i < next_count && at != 0 && s.status == model::schedule_status::active;
       ++i) {
    if (i) out += ',';
    out += "\"" + model::format_in_zone(at, s.time_zone) + "\"";
    at = model::next_cron_fire(s, at).value_or(0);
  }
  out += "]}";
  return out;
}

namespace {

response schedule_problem(const actors::schedule_answer& a) {
  auto m = map_error(a.code);
  return problem(m.status, m.title, a.message, a.field);
}

/// The engine's own answer for an unknown schedule. A schedule of a definition the client may
/// not use gets it too, word for word, so that its existence is not revealed.
response unknown_schedule(std::string_view id) {
  actors::schedule_answer a;
  a.code = actors::engine_errc::not_found;
  a.message = "unknown schedule \"" + std::string(id) + "\"";
  a.field = "id";
  return schedule_problem(a);
}

/// The stored schedule `id` when `who` may use its definition; nullopt when it is unknown or
/// foreign (the two answer alike).
storage::result<std::optional<model::schedule>> visible_schedule(actors::engine& engine,
                                                                 const auth::client& who,
                                                                 std::string_view id) {
  auto loaded = engine.store().load_schedule(id);
  if (!loaded.ok()) return loaded;
  if (loaded.value() && !who.may_use(loaded.value()->definition)) {
    return std::optional<model::schedule>();
  }
  return loaded;
}

/// Reads a native schedule body; returns the error answer when it is not one.
std::variant<model::schedule, response> read_schedule(std::string_view text) {
  auto body = parse_json_body(text);
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return bad_request("body must be a JSON object", "");
  }
  model::schedule s;
  auto string_of = [](dom::element v) -> std::optional<std::string> {
    std::string_view sv;
    if (v.get_string().get(sv) != simdjson::SUCCESS) return std::nullopt;
    return std::string(sv);
  };
  for (auto [k, v] : obj) {
    auto field = "/" + std::string(k);
    if (k == "definition" || k == "scope" || k == "cron" || k == "timeZone" || k == "worker") {
      auto text_value = string_of(v);
      if (!text_value) return bad_request(std::string(k) + " must be a string", field);
      if (k != "cron")
        if (auto refused = name_too_long(*text_value, field)) return std::move(*refused);
      if (k == "definition")
        s.definition = *text_value;
      else if (k == "scope")
        s.scope = *text_value;
      else if (k == "cron")
        s.cron = *text_value;
      else if (k == "timeZone")
        s.time_zone = *text_value;
      else
        s.worker = *text_value;
    } else if (k == "values") {
      if (!v.is_object()) return bad_request("values must be an object", field);
      for (auto [vk, vv] : as_object(v)) s.vals[std::string(vk)] = to_value(vv);
    } else if (k == "startDate" || k == "endDate") {
      auto text_value = string_of(v);
      auto ms = text_value ? model::parse_iso_instant(*text_value) : std::nullopt;
      if (!ms)
        return bad_request(std::string(k) + " must be an ISO-8601 instant with offset", field);
      (k == "startDate" ? s.start_ms : s.end_ms) = *ms;
    } else if (k == "runOnce" || k == "runImmediately") {
      if (!v.is_bool()) return bad_request(std::string(k) + " must be true or false", field);
      (k == "runOnce" ? s.run_once : s.run_immediately) = v.get_bool().value();
    } else if (k == "retryCount" || k == "catchUpWindowMs") {
      std::int64_t n;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
        return bad_request(std::string(k) + " must be a whole number, 0 or more", field);
      }
      if (k == "retryCount")
        s.retry_count = static_cast<int>(std::min<std::int64_t>(n, 100));
      else
        s.catch_up_window_ms = n;
    } else if (k == "misfire") {
      auto p = string_of(v);
      auto policy = p ? model::parse_misfire_policy(*p) : std::nullopt;
      if (!policy) return bad_request("misfire must be fire_once_now, skip or catch_up", field);
      s.misfire = *policy;
    } else if (k == "overlap") {
      auto p = string_of(v);
      auto policy = p ? model::parse_overlap_policy(*p) : std::nullopt;
      if (!policy) return bad_request("overlap must be allow, skip or queue", field);
      s.overlap = *policy;
    } else {
      return bad_request("unknown field \"" + std::string(k) + "\"", field);
    }
  }
  return s;
}

/// `from` defaults to `now_ms`.
void cron_next(std::int64_t now_ms, request_context ctx, responder respond) {
  auto expr = ctx.query_value("expr");
  if (!expr || expr->empty()) return respond(bad_request("expr is required", "expr"));
  auto parsed = model::cron_expression::parse(*expr);
  if (auto* e = std::get_if<model::cron_error>(&parsed)) {
    return respond(bad_request(e->to_string(), "expr"));
  }
  std::string zone(ctx.query_value("tz").value_or(""));
  const auto* tz = model::find_zone(zone);
  if (!tz) return respond(bad_request("unknown time zone \"" + zone + "\"", "tz"));
  using namespace std::chrono;
  auto from = floor<seconds>(sys_time<milliseconds>(milliseconds(now_ms)));
  if (auto f = ctx.query_value("from")) {
    auto ms = model::parse_iso_instant(*f);
    if (!ms) return respond(bad_request("from must be an ISO-8601 instant with offset", "from"));
    from = floor<seconds>(sys_time<milliseconds>(milliseconds(*ms)));
  }
  std::size_t count = 5;
  if (auto c = ctx.query_value("count")) {
    unsigned n = 0;
    auto res = std::from_chars(c->data(), c->data() + c->size(), n);
    if (res.ec != std::errc{} || res.ptr != c->data() + c->size() || n < 1 || n > 1000) {
      return respond(bad_request("count must be 1..1000", "count"));
    }
    count = n;
  }
  std::string out =
      "{\"expr\":\"" + json_escape(*expr) + "\",\"tz\":\"" + json_escape(zone) + "\",\"next\":[";
  bool first = true;
  for (auto t : std::get<model::cron_expression>(parsed).next_n(from, tz, count)) {
    if (!first) out += ',';
    first = false;
    out += "\"" +
           model::format_in_zone(duration_cast<milliseconds>(t.time_since_epoch()).count(), zone) +
           "\"";
  }
  out += "]}";
  respond(json_response(status::ok, std::move(out)));
}

}  // namespace

void add_schedule_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  // Reads need a runner; creating, pausing, resuming and deleting schedules an operator. A
  // schedule belongs to its definition: a client sees and changes only those of definitions
  // its globs allow (others answer 404, as unknown ones do), and creates only those (403).
  auto guarded_as = [&auth](auth::role need, auto fn) {
    return auth::protect(auth, auth::native_schemes, need, auth::problem_format,
                         [fn](request_context ctx, const auth::client& who, responder respond) {
                           fn(std::move(ctx), who, std::move(respond));
                         });
  };
  auto guarded = [&](auto fn) { return guarded_as(auth::role::runner, fn); };
  routes.add(
      verb::post, "/api/v1/schedules",
      guarded_as(auth::role::operator_, [&engine](request_context ctx, const auth::client& who,
                                                  responder respond) {
        auto parsed = read_schedule(ctx.req.body());
        if (auto* error = std::get_if<response>(&parsed)) return respond(std::move(*error));
        if (!who.may_use(std::get<model::schedule>(parsed).definition)) {
          return respond(problem(status::forbidden, "Forbidden",
                                 "this client may not use that definition", "/definition"));
        }
        engine.create_schedule(
            std::move(std::get<model::schedule>(parsed)), [respond](actors::schedule_answer a) {
              if (a.code != actors::engine_errc::ok) return respond(schedule_problem(a));
              auto r = json_response(status::created, schedule_json(a.schedule));
              r.set(beast_http::field::location, "/api/v1/schedules/" + a.schedule.id);
              respond(std::move(r));
            });
      }));
  routes.add(verb::get, "/api/v1/schedules",
             guarded([&engine](request_context, const auth::client& who, responder respond) {
               auto schedules = engine.store().load_schedules();
               if (!schedules.ok()) {
                 return respond(storage_problem(schedules.error(), "listing schedules"));
               }
               std::string out = "[";
               for (const auto& s : schedules.value()) {
                 if (!who.may_use(s.definition)) continue;
                 if (out.size() > 1) out += ',';
                 out += schedule_json(s, 1);
               }
               respond(json_response(status::ok, out + "]"));
             }));
  routes.add(verb::get, "/api/v1/schedules/{id}",
             guarded([&engine](request_context ctx, const auth::client& who, responder respond) {
               auto found = visible_schedule(engine, who, ctx.param("id"));
               if (!found.ok())
                 return respond(storage_problem(found.error(), "reading a schedule"));
               const auto& s = found.value();
               if (!s) return respond(unknown_schedule(ctx.param("id")));
               respond(json_response(status::ok, schedule_json(*s)));
             }));
  auto change = [&engine, &guarded_as](actors::schedule_action action) {
    return guarded_as(
        auth::role::operator_,
        [&engine, action](request_context ctx, const auth::client& who, responder respond) {
          // Checked before the engine acts: a foreign schedule is left as it is.
          auto found = visible_schedule(engine, who, ctx.param("id"));
          if (!found.ok()) return respond(storage_problem(found.error(), "reading a schedule"));
          if (!found.value()) return respond(unknown_schedule(ctx.param("id")));
          engine.change_schedule(std::string(ctx.param("id")), action,
                                 [respond, action](actors::schedule_answer a) {
                                   if (a.code != actors::engine_errc::ok)
                                     return respond(schedule_problem(a));
                                   if (action == actors::schedule_action::remove) {
                                     return respond(text_response(status::no_content, ""));
                                   }
                                   respond(json_response(status::ok, schedule_json(a.schedule)));
                                 });
        });
  };
  routes.add(verb::delete_, "/api/v1/schedules/{id}", change(actors::schedule_action::remove));
  routes.add(verb::post, "/api/v1/schedules/{id}/pause", change(actors::schedule_action::pause));
  routes.add(verb::post, "/api/v1/schedules/{id}/resume", change(actors::schedule_action::resume));
  routes.add(verb::get, "/api/v1/cron/next",
             guarded([&engine](request_context ctx, const auth::client&, responder respond) {
               cron_next(engine.now_ms(), std::move(ctx), std::move(respond));
             }));
}

}  // namespace baton::http
