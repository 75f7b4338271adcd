#include "http/job_api.hpp"

#include <algorithm>

#include "actors/engine.hpp"
#include "http/auth/guard.hpp"
#include "http/engine_errors.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/typed_params.hpp"
#include "model/time.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

using beast_http::status;
using beast_http::verb;

namespace {

/// The longest a poll may wait, as a synchronous start may.
constexpr std::int64_t max_wait_ms = 600'000;
/// The longest a lease may run in one go: a day (a worker extends a longer one).
constexpr std::int64_t max_lease_ms = 86'400'000;
constexpr std::int64_t max_jobs = 1000;

void append_values(std::string& out, const model::values& vals) {
  out += '{';
  bool first = true;
  for (const auto& [name, v] : vals) {
    if (!first) out += ',';
    first = false;
    out += '"';
    json_escape_to(out, name);
    out += "\":";
    out += model::to_json(v);
  }
  out += '}';
}

void append_string(std::string& out, std::string_view key, std::string_view text) {
  out += '"';
  out += key;
  out += "\":\"";
  json_escape_to(out, text);
  out += '"';
}

std::string batch_json(const actors::job_batch& batch) {
  std::string out = "{\"jobs\":[";
  for (std::size_t i = 0; i < batch.jobs.size(); ++i) {
    const auto& j = batch.jobs[i];
    if (i) out += ',';
    out += '{';
    append_string(out, "key", j.key);
    out += ',';
    append_string(out, "type", j.type);
    out += ',';
    append_string(out, "processId", j.process_id);
    out += ',';
    append_string(out, "processStepId", j.key);
    out += ',';
    append_string(out, "definition", j.definition);
    out += ",\"values\":";
    append_values(out, j.values);
    out += ",\"params\":{";
    for (std::size_t p = 0; p < j.contract.size(); ++p) {
      if (p) out += ',';
      append_string(out, j.contract[p].first, j.contract[p].second);
    }
    out += "},\"attempt\":" + std::to_string(j.attempt) + ",\"lease\":{";
    append_string(out, "token", j.token);
    out += ',';
    append_string(out, "expiresAt", model::format_iso_instant(j.expires_ms));
    out += "}}";
  }
  return out + "]}";
}

std::string_view status_name(model::job_status s) {
  return s == model::job_status::leased ? "LEASED" : "WAITING";
}

/// Reads a whole number member into `out`, within [lo, hi]; a problem naming it otherwise.
std::optional<response> read_int(dom::element v, std::string_view name, std::int64_t lo,
                                 std::int64_t hi, std::int64_t& out) {
  std::int64_t n = 0;
  if (v.get_int64().get(n) != simdjson::SUCCESS || n < lo || n > hi) {
    return bad_request(std::string(name) + " must be a whole number from " + std::to_string(lo) +
                           " to " + std::to_string(hi),
                       name);
  }
  out = n;
  return std::nullopt;
}

/// `{"type", "worker", "max", "leaseMs", "waitMs"}`.
void activate(actors::engine& engine, request_context ctx, const auth::client& who,
              responder respond) {
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("the body must be a JSON object", "body"));
  }
  actors::job_activation req;
  req.definitions = who.definitions;
  for (auto [k, v] : obj) {
    std::int64_t n = 0;
    if (k == "type" || k == "worker") {
      if (!v.is_string() || v.get_string().value().empty()) {
        return respond(bad_request(std::string(k) + " must be a non-empty string", k));
      }
      (k == "type" ? req.type : req.worker) = std::string(v.get_string().value());
    } else if (k == "max") {
      if (auto bad = read_int(v, "max", 1, max_jobs, n)) return respond(std::move(*bad));
      req.max = static_cast<std::int32_t>(n);
    } else if (k == "leaseMs") {
      if (auto bad = read_int(v, "leaseMs", 1, max_lease_ms, n)) return respond(std::move(*bad));
      req.lease_ms = n;
    } else if (k == "waitMs") {
      if (auto bad = read_int(v, "waitMs", 0, max_wait_ms, n)) return respond(std::move(*bad));
      req.wait_ms = n;
    } else {
      return respond(bad_request("unknown field (type, worker, max, leaseMs, waitMs)", k));
    }
  }
  if (req.type.empty()) return respond(bad_request("type is required", "type"));
  if (req.worker.empty()) return respond(bad_request("worker is required", "worker"));
  auto gone = ctx.peer_gone;
  engine.activate_jobs(std::move(req), [&engine, respond, gone](actors::job_batch batch) {
    if (batch.code != actors::engine_errc::ok) {
      actors::process_answer a;
      a.code = batch.code;
      a.message = batch.message;
      return respond(engine_problem(a));
    }
    if (gone && gone->load(std::memory_order_relaxed)) {
      // The worker left while its poll was parked: its leases would only run out, each
      // using up an attempt. The jobs wait again at once; the answer goes nowhere.
      for (auto& job : batch.jobs) {
        engine.release_job(job.key, job.token, "the worker's long poll had closed",
                           [](const actors::process_answer&) {});
      }
      batch.jobs.clear();
    }
    respond(json_response(status::ok, batch_json(batch)));
  });
}

/// Runs `next` with the job's key when `who` may touch its process; 404 otherwise, as for an
/// unknown job (ids cannot be probed).
template <class Next>
void with_job_access(actors::engine& engine, const request_context& ctx, const auth::client& who,
                     responder& respond, Next next) {
  std::string key(ctx.param("key"));
  auto unknown = [&] {
    respond(problem(status::not_found, "Not found", "unknown job \"" + key + "\"", "key"));
  };
  auto process_id = model::process_id_of_step(key);
  if (!process_id) return unknown();
  // A client that may touch any process needs no snapshot read.
  if (std::ranges::find(who.definitions, "*") == who.definitions.end()) {
    auto stored = engine.store().load_process(*process_id);
    if (!stored.ok()) return respond(storage_problem(stored.error(), "reading a job's process"));
    if (!stored.value() || !who.may_use(stored.value()->definition)) return unknown();
  }
  next(std::move(key));
}

/// The lease token of a body, or the problem that it has none.
std::optional<response> read_token(dom::object obj, std::string& token) {
  auto t = member(obj, "leaseToken");
  if (!t || !t->is_string() || t->get_string().value().empty()) {
    return bad_request("leaseToken is required", "leaseToken");
  }
  token = std::string(t->get_string().value());
  return std::nullopt;
}

/// A job command's answer: the job's process after it, or the engine's problem.
actors::answer_callback answer_with_process(responder respond, std::string key) {
  return [respond, key](actors::process_answer a) {
    if (a.code != actors::engine_errc::ok || !a.process) return respond(engine_problem(a));
    std::string out = "{";
    append_string(out, "key", key);
    out += ',';
    append_string(out, "processId", a.process_id);
    out += ',';
    append_string(out, "processStatus", model::to_string(a.status));
    if (const auto* exec = a.process->find_execution(key)) {
      out += ',';
      append_string(out, "stepStatus", model::to_string(exec->status));
      out += ",\"attempt\":" + std::to_string(exec->attempt);
    }
    if (a.next_step_id && *a.next_step_id != key) {
      out += ',';
      append_string(out, "nextStepId", *a.next_step_id);
    }
    const auto& lease = a.process->lease;
    if (lease.held() && lease.step_id == key) {
      out += ",\"lease\":{";
      append_string(out, "token", lease.token);
      out += ',';
      append_string(out, "expiresAt", model::format_iso_instant(lease.expires_ms));
      out += '}';
    }
    out += '}';
    respond(json_response(status::ok, std::move(out)));
  };
}

/// A param as given: the vendor's typed form (`{"doubleValue": 1.5, "type": "DOUBLE"}`) or a
/// plain JSON value.
std::variant<model::value, std::string> param_value(dom::element v) {
  if (v.is_object()) {
    auto obj = as_object(v);
    if (member(obj, "type") && (member(obj, "strValue") || member(obj, "longValue") ||
                                member(obj, "doubleValue") || member(obj, "boolValue"))) {
      return typed_param(v);
    }
  }
  return to_value(v);
}

/// `{"leaseToken", "params": {...}}`.
void complete(actors::engine& engine, request_context ctx, const auth::client& who,
              responder respond) {
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("the body must be a JSON object", "body"));
  }
  std::string token;
  if (auto bad = read_token(obj, token)) return respond(std::move(*bad));
  model::values params;
  if (auto p = member(obj, "params"); p && !p->is_null()) {
    if (!p->is_object()) return respond(bad_request("params must be an object", "params"));
    for (auto [name, v] : as_object(*p)) {
      auto parsed = param_value(v);
      if (auto* why = std::get_if<std::string>(&parsed)) {
        return respond(
            problem(status::precondition_failed, "Invalid params", *why, std::string(name)));
      }
      params[std::string(name)] = std::get<model::value>(std::move(parsed));
    }
  }
  with_job_access(engine, ctx, who, respond, [&engine, &respond, &token, &params](std::string key) {
    auto done = answer_with_process(respond, key);
    engine.complete_job(std::move(key), std::move(token), std::move(params), std::move(done));
  });
}

/// `{"leaseToken", "error", "retryInMs"?}`.
void fail(actors::engine& engine, request_context ctx, const auth::client& who, responder respond) {
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("the body must be a JSON object", "body"));
  }
  std::string token;
  if (auto bad = read_token(obj, token)) return respond(std::move(*bad));
  std::string error = "failed";
  if (auto e = member(obj, "error"); e && !e->is_null()) {
    if (!e->is_string()) return respond(bad_request("error must be a string", "error"));
    error = std::string(e->get_string().value());
  }
  std::optional<std::int64_t> retry_in;
  if (auto r = member(obj, "retryInMs"); r && !r->is_null()) {
    std::int64_t n = 0;
    if (auto bad = read_int(*r, "retryInMs", 0, max_lease_ms, n)) return respond(std::move(*bad));
    retry_in = n;
  }
  with_job_access(engine, ctx, who, respond,
                  [&engine, &respond, &token, &error, retry_in](std::string key) {
                    auto done = answer_with_process(respond, key);
                    engine.fail_job(std::move(key), std::move(token), std::move(error), retry_in,
                                    std::move(done));
                  });
}

/// `{"leaseToken", "leaseMs"}`.
void extend(actors::engine& engine, request_context ctx, const auth::client& who,
            responder respond) {
  auto body = parse_json_body(ctx.req.body());
  dom::object obj;
  if (!body.ok() || body.root.get_object().get(obj) != simdjson::SUCCESS) {
    return respond(bad_request("the body must be a JSON object", "body"));
  }
  std::string token;
  if (auto bad = read_token(obj, token)) return respond(std::move(*bad));
  std::int64_t lease_ms = 0;
  auto l = member(obj, "leaseMs");
  if (!l) return respond(bad_request("leaseMs is required", "leaseMs"));
  if (auto bad = read_int(*l, "leaseMs", 1, max_lease_ms, lease_ms)) {
    return respond(std::move(*bad));
  }
  with_job_access(engine, ctx, who, respond,
                  [&engine, &respond, &token, lease_ms](std::string key) {
                    auto done = answer_with_process(respond, key);
                    engine.extend_job(std::move(key), std::move(token), lease_ms, std::move(done));
                  });
}

/// `?type=&state=WAITING|LEASED`: this node's jobs, oldest first.
void list(actors::engine& engine, request_context ctx, const auth::client& who, responder respond) {
  std::string type(ctx.query_value("type").value_or(""));
  std::optional<model::job_status> state;
  if (auto s = ctx.query_value("state"); s && !s->empty()) {
    std::string upper(*s);
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (upper == "WAITING")
      state = model::job_status::waiting;
    else if (upper == "LEASED")
      state = model::job_status::leased;
    else
      return respond(bad_request("state must be WAITING or LEASED", "state"));
  }
  // The board does not know definitions' names per client: read each job's definition only
  // for a client limited to some.
  bool any = std::ranges::find(who.definitions, "*") != who.definitions.end();
  engine.list_jobs(
      std::move(type), state, [&engine, respond, who, any](std::vector<actors::job_info> jobs) {
        std::string out = "{\"jobs\":[";
        bool first = true;
        for (const auto& j : jobs) {
          if (!any) {
            auto p = engine.store().load_process(j.process_id);
            if (!p.ok() || !p.value() || !who.may_use(p.value()->definition)) continue;
          }
          if (!first) out += ',';
          first = false;
          out += '{';
          append_string(out, "key", j.key);
          out += ',';
          append_string(out, "type", j.type);
          out += ',';
          append_string(out, "processId", j.process_id);
          out += ',';
          append_string(out, "state", status_name(j.status));
          out += ",\"attempt\":" + std::to_string(j.attempt) + ',';
          append_string(out, "createdAt", model::format_iso_instant(j.created_ms));
          if (j.status == model::job_status::leased) {
            out += ',';
            append_string(out, "worker", j.worker);
            out += ',';
            append_string(out, "leaseExpiresAt", model::format_iso_instant(j.expires_ms));
          }
          out += '}';
        }
        respond(json_response(status::ok, out + "]}"));
      });
}

}  // namespace

void add_job_routes(router& routes, actors::engine& engine, auth::authenticator& auth) {
  using handler_fn =
      std::function<void(actors::engine&, request_context&&, const auth::client&, responder)>;
  auto route = [&](verb method, const char* pattern, auth::role need, handler_fn fn) {
    routes.add(method, pattern,
               auth::protect(auth, auth::native_schemes, need, auth::problem_format,
                             [&engine, fn](request_context&& ctx, const auth::client& who,
                                           responder respond) {
                               fn(engine, std::move(ctx), who, std::move(respond));
                             }));
  };
  using auth::role;
  route(verb::post, "/api/v1/jobs/activate", role::runner, activate);
  route(verb::post, "/api/v1/jobs/{key}/complete", role::runner, complete);
  route(verb::post, "/api/v1/jobs/{key}/fail", role::runner, fail);
  route(verb::post, "/api/v1/jobs/{key}/extend", role::runner, extend);
  route(verb::get, "/api/v1/jobs", role::operator_, list);
}

}  // namespace baton::http
