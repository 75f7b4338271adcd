#include "http/native_api.hpp"

#include <algorithm>
#include <charconv>

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/metrics.hpp"
#include "http/metrics_help.hpp"
#include "http/problem.hpp"
#include "http/process_access.hpp"
#include "http/process_json.hpp"
#include "http/rendered_processes.hpp"
#include "http/router.hpp"
#include "http/typed_params.hpp"
#include "model/time.hpp"
#include "outgoing/allow_list.hpp"
#include "outgoing/callback_target.hpp"
#include "storage/audit_log.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// `{"url": "https://…", "headers": {"name": "value", …}}`, or (message, JSON pointer).
std::variant<model::callback_target, std::pair<std::string, std::string>> parse_native_callback(
    dom::element v, const outgoing::allow_list& allowed) {
  using problem_at = std::pair<std::string, std::string>;
  if (!v.is_object()) return problem_at{"callback must be {url, headers}", "/callback"};
  model::callback_target target;
  for (auto [k, field] : as_object(v)) {
    if (k == "url" && field.is_string()) {
      target.url = std::string(field.get_string().value());
    } else if (k == "headers" && field.is_object()) {
      for (auto [name, val] : as_object(field)) {
        auto at = "/callback/headers/" + std::string(name);
        if (!val.is_string()) return problem_at{"header values must be strings", at};
        auto why = outgoing::callback_header_problem(name, val.get_string().value());
        if (!why.empty()) {
          return problem_at{"header " + why, at};
        }
        target.headers.emplace_back(name, val.get_string().value());
      }
    } else {
      return problem_at{"callback takes url (string) and headers (object of strings)",
                        "/callback/" + std::string(k)};
    }
  }
  if (auto why = outgoing::callback_url_problem(target.url, allowed); !why.empty()) {
    return problem_at{"callback url " + why, "/callback/url"};
  }
  return target;
}

/// The key under which `who`'s idempotency key is stored. Keys are scoped to the client that
/// sent them (Stripe's rule): another client's `order-1` is a different key, so a client can
/// never be answered with a process that someone else started. Schedule fires store their
/// own `schedule:` keys (actors/fire_batch.cpp), which no client key can spell any more.
/// Keys stored before this scoping (bare, unprefixed) stay in old data folders but simply
/// no longer match: a retry across that upgrade starts a new process.
std::string scoped_idempotency_key(const auth::client& who, std::string_view key) {
  return "c:" + who.id + ":" + std::string(key);
}

/// `{"...process...","result":X}` when the caller asked for one output.
std::string with_result(std::string process_json, const model::values& outputs,
                        const std::string& result) {
  if (result.empty() || process_json.size() < 2) return process_json;
  auto it = outputs.find(result);
  process_json.pop_back();
  process_json += ",\"result\":";
  process_json += it == outputs.end() ? "null" : model::to_json(it->second);
  process_json += '}';
  return process_json;
}

// ---- processes ------------------------------------------------------------------------------

void start_process(actors::engine& engine, request_context ctx, const auth::client& who,
                   responder respond, const outgoing::allow_list& callback_hosts) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok()) return respond(bad_request("body is not JSON: " + body.error, ""));
  dom::object obj;
  if (body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("body must be a JSON object", ""));
  }
  actors::start_request req;
  req.strict_values = true;
  std::string wait_result;
  for (auto [k, v] : obj) {  // later duplicates overwrite earlier ones
    if (k == "definition") {
      if (!v.is_string()) return respond(bad_request("definition must be a string", "/definition"));
      req.definition = std::string(v.get_string().value());
    } else if (k == "version") {
      if (!v.is_int64()) return respond(bad_request("version must be an integer", "/version"));
      req.version = v.get_int64().value();
    } else if (k == "values") {
      if (!v.is_object()) return respond(bad_request("values must be an object", "/values"));
      req.values.clear();
      for (auto [vk, vv] : as_object(v)) req.values[std::string(vk)] = to_value(vv);
    } else if (k == "scope") {
      if (!v.is_string()) return respond(bad_request("scope must be a string", "/scope"));
      req.scope = std::string(v.get_string().value());
      if (auto refused = name_too_long(req.scope, "/scope")) return respond(std::move(*refused));
    } else if (k == "busy") {
      std::string_view b;
      if (v.get_string().get(b) != simdjson::SUCCESS || (b != "queue" && b != "reject")) {
        return respond(bad_request("busy must be \"queue\" or \"reject\"", "/busy"));
      }
      req.reject_if_busy = b == "reject";
    } else if (k == "idempotencyKey") {
      if (!v.is_string())
        return respond(bad_request("idempotencyKey must be a string", "/idempotencyKey"));
      req.idempotency_key = std::string(v.get_string().value());
      if (auto refused = name_too_long(req.idempotency_key, "/idempotencyKey"))
        return respond(std::move(*refused));
    } else if (k == "retryCount") {
      std::int64_t n;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0 || n > 100) {
        return respond(bad_request("retryCount must be an integer from 0 to 100", "/retryCount"));
      }
      req.retry_count = static_cast<int>(n);
    } else if (k == "scenarioId") {
      if (!v.is_string()) return respond(bad_request("scenarioId must be a string", "/scenarioId"));
      req.scenario = std::string(v.get_string().value());
    } else if (k == "sandbox") {
      if (!v.is_bool()) return respond(bad_request("sandbox must be true or false", "/sandbox"));
      req.sandbox = v.get_bool().value();
    } else if (k == "wait") {
      if (!v.is_object()) return respond(bad_request("wait must be {result, timeoutMs}", "/wait"));
      req.wait_timeout_ms = 30'000;
      for (auto [wk, wv] : as_object(v)) {
        if (wk == "result" && wv.is_string())
          wait_result = std::string(wv.get_string().value());
        else if (wk == "timeoutMs" && wv.is_int64() && wv.get_int64().value() >= 0 &&
                 wv.get_int64().value() <= 600'000) {
          req.wait_timeout_ms = wv.get_int64().value();
        } else {
          return respond(bad_request("wait takes result (string) and timeoutMs (0..600000)",
                                     "/wait/" + std::string(wk)));
        }
      }
    } else if (k == "callback") {
      auto target = parse_native_callback(v, callback_hosts);
      if (auto* problem = std::get_if<std::pair<std::string, std::string>>(&target)) {
        return respond(bad_request(problem->first, problem->second));
      }
      req.callback = std::get<model::callback_target>(std::move(target));
    } else {
      return respond(bad_request("unknown field \"" + std::string(k) + "\"", "/" + std::string(k)));
    }
  }
  if (req.definition.empty()) return respond(bad_request("definition is required", "/definition"));
  if (auto def = engine.definitions().find(req.definition); def && !who.may_use(def->name)) {
    return respond(forbidden_definition(def->name));
  }
  if (auto key = ctx.header("idempotency-key"); !key.empty()) req.idempotency_key = key;
  if (!req.idempotency_key.empty()) {
    req.idempotency_key = scoped_idempotency_key(who, req.idempotency_key);
  }
  bool waiting = req.wait_timeout_ms.has_value();
  // Only a client limited by its globs needs to be checked against a replay; copying it only
  // then keeps the hot path of `*` clients free of the copy.
  auto limited = may_touch_any(who) ? nullptr : std::make_shared<const auth::client>(who);
  engine.start(std::move(req), [respond, wait_result, waiting,
                                limited = std::move(limited)](actors::process_answer a) {
    if (a.code != actors::engine_errc::ok) {
      return respond(engine_problem(a));
    }
    // The key is the client's own, but its globs may have narrowed since the first start: a
    // replay never hands out a process the client may not see now.
    if (a.replayed && limited) {
      if (!a.process || !limited->may_use(a.process->definition)) {
        return respond(problem(status::conflict, "Idempotency key in use",
                               "this idempotency key started a process this client may not see",
                               "/idempotencyKey"));
      }
    }
    auto code = a.replayed ? status::ok : status::created;
    if (waiting) code = a.wait_timed_out ? status::accepted : status::ok;
    auto r = json_response(code, with_result(a.process ? process_json(*a.process) : std::string(),
                                             a.outputs, wait_result));
    r.set(beast_http::field::location, "/api/v1/processes/" + a.process_id);
    if (a.replayed) r.set("Idempotent-Replayed", "true");
    respond(std::move(r));
  });
}

void get_process(actors::engine& engine, const request_context& ctx, const auth::client& who,
                 responder respond, rendered_processes& rendered) {
  // Queries read committed state straight from RocksDB: no actor hop. A state answered
  // before is answered as it was rendered then (what a polling client asks for most), without
  // even a read when no write of the snapshot has begun since it was read.
  auto id = ctx.param("id");
  const auto& store = engine.store();
  auto mark = store.snapshot_mark(id);
  auto answer = mark ? rendered.find(id, *mark) : std::nullopt;
  if (!answer) {
    auto stored = store.process_raw(id);
    if (!stored.ok()) return respond(storage_problem(stored.error(), "reading a process"));
    const auto& snapshot = stored.value();
    if (snapshot) answer = rendered.find(id, *snapshot, mark);
    if (snapshot && !answer) {
      model::process_state p;
      auto decoded = storage::process_store::decode_snapshot(id, *snapshot, p);
      if (!decoded.ok()) return respond(storage_problem(decoded, "reading a process"));
      auto json = process_json(p);
      answer = rendered_processes::answer{std::move(p.definition), std::move(json)};
      rendered.keep(id, *snapshot, mark, *answer);
    }
  }
  // As with_process_access: a process outside the client's globs answers as an unknown one.
  if (!answer || !may_touch(who, answer->definition)) {
    return respond(unknown_process(native_format, id));
  }
  respond(json_response(status::ok, std::move(answer->json)));
}

void list_processes(actors::engine& engine, request_context ctx, const auth::client& who,
                    responder respond) {
  storage::process_query q;
  if (auto s = ctx.query_value("status")) {
    q.status = model::parse_process_status(*s);
    if (!q.status) {
      return respond(
          bad_request("status must be WAITING, RUNNING, SUCCEEDED, FAILED or CANCELLED", "status"));
    }
  }
  if (auto d = ctx.query_value("definition")) q.definition = *d;
  if (auto s = ctx.query_value("scope")) q.scope = *s;
  if (auto a = ctx.query_value("after")) q.after = *a;
  if (auto l = ctx.query_value("limit")) {
    auto n = parse_whole_int(*l);
    if (!n || *n < 1 || *n > 1000) return respond(bad_request("limit must be 1..1000", "limit"));
    q.limit = static_cast<std::size_t>(*n);
  }
  // A sandbox server makes only sandbox processes: list those unless told otherwise.
  q.sandbox = engine.sandbox_mode();
  if (auto s = ctx.query_value("sandbox")) q.sandbox = *s == "true";
  q.visible = [&who](std::string_view definition) { return who.may_use(definition); };
  auto listed = engine.store().list(q);
  if (!listed.ok()) return respond(storage_problem(listed.error(), "listing processes"));
  const auto& page = listed.value();
  std::string out = "{\"items\":[";
  for (const auto& p : page.states) {
    if (out.back() != '[') out += ',';
    append_process_json(out, p);
  }
  out += "],\"next\":";
  out += page.next.empty() ? "null" : "\"" + page.next + "\"";
  out += '}';
  respond(json_response(status::ok, std::move(out)));
}

void process_history(actors::engine& engine, request_context ctx, const auth::client& who,
                     responder respond) {
  auto id = ctx.param("id");
  with_process_access(engine, who, id, respond, native_format, [&](const model::process_state&) {
    auto history = engine.store().history(id);
    if (!history.ok()) return respond(storage_problem(history.error(), "reading a history"));
    respond(json_response(status::ok, "{\"items\":" + history_json(history.value()) + "}"));
  });
}

actors::answer_callback answer_with_process(responder respond) {
  return [respond](actors::process_answer a) {
    if (a.code != actors::engine_errc::ok) return respond(engine_problem(a));
    respond(json_response(status::ok, a.process ? process_json(*a.process) : std::string()));
  };
}

void cancel_process(actors::engine& engine, request_context ctx, const auth::client& who,
                    responder respond) {
  std::string reason = "cancelled by request";
  if (!ctx.req.body().empty()) {
    auto body = parse_json_body(ctx.req.body());
    if (!body.ok() || !body.root.is_object())
      return respond(bad_request("body must be a JSON object", ""));
    if (auto r = member(as_object(body.root), "reason")) {
      if (!r->is_string()) return respond(bad_request("reason must be a string", "/reason"));
      reason = std::string(r->get_string().value());
    }
  }
  with_process_access(engine, who, ctx.param("id"), respond, native_format,
                      [&](const model::process_state&) {
                        engine.cancel(std::string(ctx.param("id")), reason,
                                      answer_with_process(std::move(respond)));
                      });
}

void execute_step(actors::engine& engine, request_context ctx, const auth::client& who,
                  responder respond) {
  with_process_access(engine, who, ctx.param("id"), respond, native_format,
                      [&](const model::process_state& p) {
                        // `{stepId}` is a processStepId or the definition's step id (`review`).
                        const auto* exec = named_execution(p, ctx.param("stepId"));
                        engine.execute(p.id, exec ? exec->id : std::string(ctx.param("stepId")),
                                       answer_with_process(std::move(respond)));
                      });
}

// ---- scopes ---------------------------------------------------------------------------------

/// Whether `who` may see process `id`: one snapshot read, unless its globs allow everything.
bool may_see_process(actors::engine& engine, const auth::client& who, std::string_view id) {
  if (may_touch_any(who)) return true;
  // Unreadable counts as not visible (and so a scope change is refused): closed, not open.
  auto p = engine.store().load_process(id);
  return p.ok() && p.value() && may_touch(who, *p.value());
}

/// A scope as `who` may see it: only the processes it may see are listed, each queued one
/// with its true position (so a client learns how many wait ahead, not whose they are).
std::string scope_json(actors::engine& engine, const auth::client& who,
                       const actors::scope_info& s) {
  std::string out = "{\"name\":\"" + json_escape(s.name) +
                    "\",\"limit\":" + std::to_string(s.limit) + ",\"busy\":\"" +
                    (s.reject_when_busy ? "reject" : "queue") +
                    "\",\"paused\":" + (s.paused ? "true" : "false") + ",\"running\":[";
  bool first = true;
  for (const auto& id : s.running) {
    if (!may_see_process(engine, who, id)) continue;
    out += (first ? "\"" : ",\"") + id + "\"";
    first = false;
  }
  out += "],\"queued\":[";
  first = true;
  for (std::size_t i = 0; i < s.queued.size(); ++i) {
    if (!may_see_process(engine, who, s.queued[i])) continue;
    out += (first ? "{" : ",{");
    out += "\"id\":\"" + s.queued[i] + "\",\"position\":" + std::to_string(i + 1) + "}";
    first = false;
  }
  out += "]}";
  return out;
}

/// Whether `who` may change scope `s` (pause, resume, limit, busy policy).
///
/// A scope has no owner of its own: it belongs to the definitions that use it. A client whose
/// globs hold a bare `*` may change any scope. Any other client may change a scope only when
/// every process running or queued in it, and every schedule that starts processes in it, is
/// of a definition its globs allow; otherwise pausing it would stall, and resizing it would
/// starve or flood, another customer's work. A scope nothing uses yet is anyone's (an operator
/// of `Loan*` may prepare `loans` before its first start). The engine keeps no record of the
/// definitions that used a scope in the past, so only what is in it now counts.
///
/// The check reads each process's snapshot and every schedule, which is fine for a rare admin
/// action; a process admitted between the check and the change is not looked at.
bool may_change_scope(actors::engine& engine, const auth::client& who,
                      const actors::scope_info& s) {
  if (may_touch_any(who)) return true;
  auto all_visible = [&](const std::vector<std::string>& ids) {
    return std::ranges::all_of(ids,
                               [&](const auto& id) { return may_see_process(engine, who, id); });
  };
  if (!all_visible(s.running) || !all_visible(s.queued)) return false;
  auto schedules = engine.store().load_schedules();
  if (!schedules.ok()) return false;
  return std::ranges::all_of(schedules.value(), [&](const model::schedule& sched) {
    return sched.scope != s.name || who.may_use(sched.definition);
  });
}

/// A scope that could not be asked (its owner in a cluster did not answer).
response scope_problem(const actors::scope_info& info) {
  auto m = map_error(info.code);
  return problem(m.status, m.title, info.message);
}

void put_scope(actors::engine& engine, request_context ctx, const auth::client& who,
               responder respond) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok() || !body.root.is_object())
    return respond(bad_request("body must be a JSON object", ""));
  actors::scope_settings s;
  for (auto [k, v] : as_object(body.root)) {
    if (k == "limit") {
      std::int64_t n;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < 1 || n > 1'000'000) {
        return respond(bad_request("limit must be an integer from 1", "/limit"));
      }
      s.limit = n;
    } else if (k == "busy") {
      std::string_view b;
      if (v.get_string().get(b) != simdjson::SUCCESS || (b != "queue" && b != "reject")) {
        return respond(bad_request("busy must be \"queue\" or \"reject\"", "/busy"));
      }
      s.reject_when_busy = b == "reject";
    } else if (k == "paused") {
      if (!v.is_bool()) return respond(bad_request("paused must be true or false", "/paused"));
      s.paused = v.get_bool().value();
    } else {
      return respond(bad_request("unknown field \"" + std::string(k) + "\"", "/" + std::string(k)));
    }
  }
  auto name = std::string(ctx.param("scope"));
  auto limited = may_touch_any(who) ? nullptr : std::make_shared<const auth::client>(who);
  auto configure = [&engine, name, s, respond](const auth::client& as) {
    engine.configure_scope(name, s, [&engine, respond, as](actors::scope_answer a) {
      if (a.code != actors::engine_errc::ok) {
        auto m = map_error(a.code);
        return respond(problem(m.status, m.title, a.message));
      }
      respond(json_response(status::ok, scope_json(engine, as, a.info)));
    });
  };
  if (!limited) return configure(who);
  engine.scope(name, [&engine, limited, configure, respond](actors::scope_info info) {
    if (info.code != actors::engine_errc::ok) return respond(scope_problem(info));
    if (!may_change_scope(engine, *limited, info)) {
      return respond(
          problem(status::forbidden, "Forbidden",
                  "scope \"" + info.name + "\" is also used by definitions this client may not use",
                  "scope"));
    }
    configure(*limited);
  });
}

// ---- complete-step (the vendor's envelope) --------------------------------------------------

std::string envelope(std::int64_t now_ms, std::string_view message, std::string_view data) {
  std::string out = "{\"message\":\"" + json_escape(message) + "\",\"timestamp\":\"" +
                    model::format_iso_instant(now_ms) + "\",\"data\":";
  out += data.empty() ? "null" : data;
  out += ",\"version\":\"1.0\"}";
  return out;
}

std::string reasons_json(const std::vector<std::pair<std::string, std::string>>& reasons) {
  std::string out = "{";
  for (const auto& [k, v] : reasons) {
    if (out.size() > 1) out += ',';
    out += "\"" + json_escape(k) + "\":\"" + json_escape(v) + "\"";
  }
  return out + "}";
}

response vendor_answer(std::int64_t now_ms, status code, std::string_view message,
                       std::string_view data) {
  return json_response(code, envelope(now_ms, message, data));
}

/// Required params the waiting step declares that are in neither `given` nor `bad`.
std::vector<std::pair<std::string, std::string>> missing_params(
    actors::engine& engine, std::string_view step_id, const model::values& given,
    const std::vector<std::pair<std::string, std::string>>& bad) {
  std::vector<std::pair<std::string, std::string>> out;
  auto pid = model::process_id_of_step(step_id);
  std::optional<model::process_state> state;
  if (pid) {
    // Unreadable here only leaves the missing params unnamed; the answer is 412 regardless.
    if (auto loaded = engine.store().load_process(*pid); loaded.ok())
      state = std::move(loaded).value();
  }
  const auto* exec = state ? state->active() : nullptr;
  auto def = state ? engine.definitions().find(state->definition, state->version) : nullptr;
  const auto* step = exec && def && exec->id == step_id ? def->find_step(exec->step) : nullptr;
  if (!step) return out;
  for (const auto& p : step->params) {
    bool named = given.count(p.name) || std::any_of(bad.begin(), bad.end(), [&](const auto& b) {
                   return b.first == p.name;
                 });
    if (p.required && !named) out.emplace_back(p.name, "missing");
  }
  return out;
}

void complete_step(actors::engine& engine, request_context ctx, const auth::client& who,
                   responder respond) {
  // The vendor's envelope, stamped with the engine's clock when the answer is made.
  auto vendor = [&engine](status code, std::string_view message, std::string_view data) {
    return vendor_answer(engine.now_ms(), code, message, data);
  };
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(vendor(status::bad_request, "Malformed JSON body",
                          reasons_json({{"body", "expected a JSON object"}})));
  }
  auto step = member(obj, "processStepId");
  if (!step || !step->is_string() || step->get_string().value().empty()) {
    return respond(vendor(status::bad_request, "processStepId is required",
                          reasons_json({{"processStepId", "required"}})));
  }
  std::string step_id(step->get_string().value());
  model::values params;
  std::vector<std::pair<std::string, std::string>> bad;
  if (auto p = member(obj, "params"); p && !p->is_null()) {
    dom::object pobj;
    if (p->get_object().get(pobj) != simdjson::SUCCESS) {
      return respond(vendor(status::bad_request, "params must be an object",
                            reasons_json({{"params", "expected an object"}})));
    }
    for (auto [name, spec] : pobj) {
      auto parsed = typed_param(spec);
      if (auto* why = std::get_if<std::string>(&parsed))
        bad.emplace_back(std::string(name), *why);
      else
        params[std::string(name)] = std::get<model::value>(parsed);
    }
  }
  if (!bad.empty()) {
    // Name every failing param at once: the malformed ones and the declared ones missing.
    for (const auto& [name, reason] : missing_params(engine, step_id, params, bad)) {
      bad.emplace_back(name, reason);
    }
    return respond(vendor(status::precondition_failed, "Invalid params", reasons_json(bad)));
  }
  // A client that may touch any process needs no snapshot read (a RocksDB get per completion).
  if (auto pid = may_touch_any(who) ? std::nullopt : model::process_id_of_step(step_id)) {
    auto raw = engine.store().load_process(*pid);
    if (!raw.ok()) {
      auto refusal = refusal_of(raw.error(), "reading a process to complete");
      return respond(vendor(refusal.status, "Storage unavailable",
                            reasons_json({{"error", refusal.message}})));
    }
    if (raw.value() && !may_touch(who, *raw.value())) {
      return respond(
          vendor(status::forbidden, "Forbidden",
                 reasons_json({{"processStepId", "this client may not touch that process"}})));
    }
  }
  engine.complete_step(
      step_id, std::move(params), who.name, [vendor, respond, step_id](actors::process_answer a) {
        using actors::engine_errc;
        switch (a.code) {
          case engine_errc::ok: {
            std::string data = "{\"processId\":\"" + a.process_id + "\",\"processStepId\":";
            data += a.next_step_id ? "\"" + *a.next_step_id + "\"" : "null";
            data += ",\"params\":" + typed_params_json(a.params) + "}";
            return respond(vendor(status::ok, "Step completed", data));
          }
          case engine_errc::invalid_params:
            return respond(vendor(status::precondition_failed, "Invalid params",
                                  reasons_json(a.field_errors)));
          case engine_errc::not_waiting:
          case engine_errc::not_found:
            return respond(vendor(status::precondition_failed, "Step is not waiting",
                                  reasons_json({{"processStepId", a.message}})));
          case engine_errc::storage_full:
            return respond(vendor(status::insufficient_storage, "Insufficient storage",
                                  reasons_json({{"error", a.message}})));
          case engine_errc::storage_unavailable:
          case engine_errc::shutting_down:
          case engine_errc::timed_out:
            return respond(vendor(status::service_unavailable, "Service unavailable",
                                  reasons_json({{"error", a.message}})));
          default:
            return respond(vendor(status::internal_server_error, "Internal error",
                                  reasons_json({{"error", a.message}})));
        }
      });
}

}  // namespace

void add_native_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                       std::shared_ptr<metrics> stats, const config::http_settings& http,
                       const config::outgoing_settings& outgoing) {
  using handler_fn =
      std::function<void(actors::engine&, request_context&&, const auth::client&, responder)>;
  // `audited`: a successful answer is recorded in the audit log (definition changes, cancels).
  auto route = [&](verb method, const char* pattern, auth::role need, handler_fn fn,
                   const char* audited = nullptr) {
    auth::guarded_handler h = [&engine, fn](request_context&& ctx, const auth::client& who,
                                            responder respond) {
      fn(engine, std::move(ctx), who, std::move(respond));
    };
    if (audited) h = auth::audited(auth, audited, std::move(h));
    routes.add(method, pattern,
               auth::protect(auth, auth::native_schemes, need, auth::problem_format, std::move(h)));
  };
  using auth::role;
  route(verb::post, "/api/v1/processes", role::runner,
        [callback_hosts = std::make_shared<const outgoing::allow_list>(outgoing.allow_hosts)](
            actors::engine& e, request_context ctx, const auth::client& who, responder respond) {
          start_process(e, std::move(ctx), who, std::move(respond), *callback_hosts);
        });
  route(verb::get, "/api/v1/processes", role::runner, list_processes);
  route(verb::get, "/api/v1/processes/{id}", role::runner,
        [rendered = std::make_shared<rendered_processes>()](
            actors::engine& e, request_context&& ctx, const auth::client& who, responder respond) {
          get_process(e, ctx, who, std::move(respond), *rendered);
        });
  route(verb::get, "/api/v1/processes/{id}/history", role::runner, process_history);
  route(verb::post, "/api/v1/processes/{id}/cancel", role::operator_, cancel_process,
        "process_cancelled");
  route(verb::post, "/api/v1/processes/{id}/steps/{stepId}/execute", role::operator_, execute_step);
  route(verb::put, "/api/v1/scopes/{scope}", role::operator_, put_scope);
  routes.add(verb::get, "/api/v1/scopes",
             auth::protect(auth, auth::native_schemes, role::runner, auth::problem_format,
                           [&engine](request_context, const auth::client& who, responder respond) {
                             engine.list_scopes([&engine, respond,
                                                 who](std::vector<actors::scope_info> all) {
                               std::string out = "[";
                               for (const auto& s : all)
                                 out += (out.size() > 1 ? "," : "") + scope_json(engine, who, s);
                               respond(json_response(status::ok, out + "]"));
                             });
                           }));
  routes.add(
      verb::get, "/api/v1/scopes/{scope}",
      auth::protect(auth, auth::native_schemes, role::runner, auth::problem_format,
                    [&engine](request_context ctx, const auth::client& who, responder respond) {
                      engine.scope(std::string(ctx.param("scope")), [&engine, respond,
                                                                     who](actors::scope_info info) {
                        if (info.code != actors::engine_errc::ok)
                          return respond(scope_problem(info));
                        respond(json_response(status::ok, scope_json(engine, who, info)));
                      });
                    }));
  // complete-step answers in the vendor's envelope, its 401 included.
  routes.add(
      verb::post, "/api/v1/processes/complete-step",
      auth::protect(
          auth, auth::api_key | auth::bearer_token | auth::basic | auth::session, role::runner,
          [&engine](status s, std::string_view message) {
            return vendor_answer(engine.now_ms(), s,
                                 s == status::unauthorized ? "Unauthorized request" : message, "");
          },
          [&engine](request_context ctx, const auth::client& who, responder respond) {
            complete_step(engine, std::move(ctx), who, std::move(respond));
          }));
  routes.add(verb::get, "/healthz", [](request_context, responder respond) {
    respond(text_response(status::ok, "ok\n"));
  });
  routes.add(verb::get, "/readyz", [&engine](request_context, responder respond) {
    if (!engine.ready()) return respond(text_response(status::service_unavailable, "recovering\n"));
    // Not ready for writes is not ready: a balancer should send work elsewhere. The guard's
    // reason carries only sizes; RocksDB's text (paths) stays in the log.
    auto refused = engine.store().committer().refusing();
    if (refused.ok()) return respond(text_response(status::ok, "ready\n"));
    auto why =
        refused.code() == storage::storage_errc::no_space && !refused.detail().empty() &&
                refused.detail().find('/') == std::string::npos
            ? refused.detail()
            : "storage " + std::string(storage::to_string(refused.code())) + "; see the server log";
    respond(text_response(status::service_unavailable, "writes refused: " + why + "\n"));
  });
  // Metrics name definitions and scopes and show the load: by default any authenticated
  // client may read them (give the scraper a runner client), not the whole network.
  auto render_metrics = [stats](request_context, responder respond) {
    respond(text_response(status::ok, with_help_lines(stats->render()), metrics_content_type));
  };
  if (http.metrics_public) {
    routes.add(verb::get, "/metrics", render_metrics);
  } else {
    routes.add(verb::get, "/metrics",
               auth::protect(
                   auth, auth::native_schemes, role::runner, auth::problem_format,
                   [render_metrics](request_context ctx, const auth::client&, responder respond) {
                     render_metrics(std::move(ctx), std::move(respond));
                   }));
  }
}

}  // namespace baton::http
