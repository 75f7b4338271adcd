#include "model/process.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "model/time.hpp"

namespace baton::model {

std::string_view to_string(process_status s) {
  switch (s) {
    case process_status::waiting:
      return "WAITING";
    case process_status::running:
      return "RUNNING";
    case process_status::succeeded:
      return "SUCCEEDED";
    case process_status::failed:
      return "FAILED";
    case process_status::cancelled:
      return "CANCELLED";
  }
  return "?";
}

std::string_view to_string(step_status s) {
  switch (s) {
    case step_status::created:
      return "CREATED";
    case step_status::started:
      return "STARTED";
    case step_status::completed:
      return "COMPLETED";
    case step_status::failed:
      return "FAILED";
    case step_status::skipped:
      return "SKIPPED";
  }
  return "?";
}

std::optional<process_status> parse_process_status(std::string_view s) {
  for (auto st : {process_status::waiting, process_status::running, process_status::succeeded,
                  process_status::failed, process_status::cancelled}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

const step_execution* process_state::active() const {
  if (steps.empty() || is_terminal(status)) return nullptr;
  const auto& last = steps.back();
  return last.status == step_status::started || last.status == step_status::created ? &last
                                                                                    : nullptr;
}

step_execution* process_state::active() {
  return const_cast<step_execution*>(std::as_const(*this).active());
}

bool worth_a_callback(const process_state& before, const process_state& after) {
  if (is_terminal(after.status)) return !is_terminal(before.status);
  const auto* now_at = after.active();
  if (!now_at || now_at->retry_pending) return false;
  if (now_at->kind != step_kind::external && now_at->kind != step_kind::timer &&
      now_at->kind != step_kind::message) {
    return false;
  }
  const auto* was_at = before.active();
  return !was_at || was_at->id != now_at->id;
}

const step_execution* process_state::find_execution(std::string_view step_execution_id) const {
  for (const auto& e : steps) {
    if (e.id == step_execution_id) return &e;
  }
  return nullptr;
}

std::optional<std::string_view> process_id_of_step(std::string_view id) {
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= id.size()) return std::nullopt;
  for (auto c : id.substr(dash + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return id.substr(0, dash);
}

std::int64_t retry_delay_ms(const retry_policy& policy, int attempt, double random) {
  return backoff_ms(
      {policy.backoff, policy.initial_ms, 2, policy.max_ms, policy.jitter, jitter_kind::below},
      attempt, random);
}

namespace {

value render(const std::string& text, const values& scope) {
  auto parsed = string_template::parse(text);
  if (auto* t = std::get_if<string_template>(&parsed)) return t->render(scope);
  return value::of_string(text);  // validated at deploy; unreachable in practice
}

/// Renders a JSON body template: a hole that is a whole string ("${x}") or stands bare
/// becomes the value as JSON; a hole inside a longer string becomes escaped text.
std::string render_json_body(std::string_view body, const values& scope) {
  std::string out;
  bool in_string = false;
  std::size_t string_start = 0;  // out.size() just after the current string's opening quote
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '$' && i + 1 < body.size() && body[i + 1] == '{') {
      auto close = body.find('}', i + 2);
      if (close != std::string_view::npos) {
        auto name = std::string(body.substr(i + 2, close - i - 2));
        auto it = scope.find(name);
        value v = it == scope.end() ? value{} : it->second;
        bool whole_string = in_string && out.size() == string_start && close + 1 < body.size() &&
                            body[close + 1] == '"';
        if (whole_string) {
          out.pop_back();
          out += to_json(v);
          i = close + 1;
          in_string = false;
        } else if (in_string) {
          append_json_escaped(out, to_display(v));
          i = close;
        } else {
          out += to_json(v);
          i = close;
        }
        continue;
      }
    }
    // An escape inside a string is copied whole, so `"C:\\"` closes where it should.
    if (in_string && c == '\\' && i + 1 < body.size()) {
      out += c;
      out += body[++i];
      continue;
    }
    if (c == '"') {
      in_string = !in_string;
      string_start = out.size() + 1;
    }
    out += c;
  }
  return out;
}

/// The items a forEach step runs for: its `items` rendered now, a JSON list.
std::optional<std::vector<value>> items_of(const step& st, const values& vals) {
  return list_items(render(st.items, vals));
}

/// What starts child `c` of step `st`: the sub-process with its values rendered, or the run
/// of one branch or item of this definition with the process' values (and the item).
/// Rendered from the state as it is while the step waits, so a restart re-issues the same.
std::optional<fx_start_child> child_start(const process_state& state, const definition& def,
                                          const step& st, const child_run& c) {
  fx_start_child fx;
  fx.child_id = c.id;
  fx.step_id = c.step_id;
  if (st.kind == step_kind::subprocess) {
    fx.definition = st.child_definition;
    fx.version = st.child_version;
    for (const auto& [name, tmpl] : st.child_values) fx.vals[name] = render(tmpl, state.vals);
    return fx;
  }
  fx.definition = def.name;
  fx.version = def.version;
  fx.vals = state.vals;
  const auto& body = st.kind == step_kind::parallel ? st.branches.at(c.index) : st.branches.at(0);
  fx.entry = body.front();
  if (st.kind == step_kind::for_each) {
    auto items = items_of(st, state.vals);
    if (!items || c.index >= static_cast<int>(items->size())) return std::nullopt;
    fx.vals[st.item_name] = (*items)[c.index];
  }
  return fx;
}

/// Applies one event to a copy of the state, collecting effects and history.
class machine {
 public:
  machine(const process_state& state, const definition& def, const apply_context& ctx)
      : def_(def), ctx_(ctx) {
    t_.state = state;
  }

  transition run(const event& ev) {
    auto job_before = job_effect(t_.state);
    std::visit([this](const auto& e) { on(e); }, ev);
    if (t_.rejected.empty()) {
      t_.state.updated_ms = ctx_.now_ms;
      tell_job_board(std::move(job_before));
    }
    return std::move(t_);
  }

 private:
  process_state& s() { return t_.state; }

  void record(std::string type, std::string step_id = {}, std::string detail = {}) {
    t_.history.push_back(
        {++s().history_seq, ctx_.now_ms, std::move(type), std::move(step_id), std::move(detail)});
  }
  void reject(std::string why) {
    t_.rejected = std::move(why);
    t_.effects.clear();
    t_.history.clear();
  }

  // ---- event handlers ----

  void on(const ev_admitted&) {
    if (s().status != process_status::waiting) return reject("process is not waiting");
    s().status = process_status::running;
    record("process_started");
    run_from(entry_index());
  }

  void on(const ev_http_answered& e) {
    auto* exec = s().active();
    if (!exec || exec->id != e.step_id || exec->kind != step_kind::http ||
        exec->attempt != e.attempt || exec->retry_pending) {
      return reject("stale answer");
    }
    const auto& st = *def_.find_step(exec->step);
    std::string failure = e.error;
    if (failure.empty()) {
      bool expected = st.http.expect.empty()
                          ? (e.status >= 200 && e.status < 300)
                          : std::ranges::find(st.http.expect, e.status) != st.http.expect.end();
      if (!expected) failure = "unexpected status " + std::to_string(e.status);
    }
    if (!failure.empty() && e.permanent) {
      // No retry changes a configuration error: fail now, saying so.
      failure += " (a configuration error: not retried)";
      finish_step(*exec, step_status::failed, failure);
      return fail_process(st.id + ": " + failure);
    }
    if (!failure.empty()) return fail_attempt(*exec, st, failure);
    complete(*exec, e.mapped, "status " + std::to_string(e.status));
  }

  void on(const ev_completed& e) {
    auto* exec = s().active();
    if (exec && exec->id == e.step_id && exec->kind == step_kind::job) {
      if (auto why = lease_problem(s(), e.step_id, e.lease_token, ctx_.now_ms); !why.empty()) {
        return reject(why);
      }
      return complete(*exec, e.params, "completed by " + s().lease.worker);
    }
    bool by_message = exec && exec->kind == step_kind::message && !e.message.empty() &&
                      s().awaited.step_id == exec->id && s().awaited.name == e.message;
    if (!exec || exec->id != e.step_id || (exec->kind != step_kind::external && !by_message) ||
        (exec->kind == step_kind::external && !e.message.empty())) {
      return reject("step is not waiting for completion");
    }
    // Who completed it, with what: "by officer-1 with {"approved":true}".
    std::string detail = e.by.empty() ? std::string() : "by " + e.by;
    if (by_message) detail = "message " + e.message + (detail.empty() ? "" : " " + detail);
    if (!e.params.empty()) {
      detail += detail.empty() ? "with {" : " with {";
      for (const auto& [name, v] : e.params) {
        if (detail.back() != '{') detail += ',';
        detail += '"';
        append_json_escaped(detail, name);
        detail += "\":" + to_json(v);
      }
      detail += '}';
    }
    complete(*exec, e.params, std::move(detail));
  }

  // ---- job steps: leases ----

  void on(const ev_job_leased& e) {
    auto* exec = s().active();
    if (!exec || exec->id != e.step_id || exec->kind != step_kind::job || exec->retry_pending) {
      return reject("job is not waiting");
    }
    // A lease that ran out is ended by its timer (which counts the attempt) before the job is
    // leased again.
    if (s().lease.held()) return reject("job is leased");
    s().lease = {exec->id, e.token, e.worker, ctx_.now_ms + e.lease_ms};
    exec->modified_ms = ctx_.now_ms;
    record("job_leased", exec->id,
           "attempt " + std::to_string(exec->attempt) + " by " + e.worker + " until " +
               format_iso_instant(s().lease.expires_ms));
    t_.effects.push_back(fx_arm_timer{exec->id, s().lease.expires_ms, false});
  }

  void on(const ev_job_failed& e) {
    auto* exec = s().active();
    if (auto why = lease_problem(s(), e.step_id, e.token, ctx_.now_ms); !why.empty()) {
      return reject(why);
    }
    auto worker = s().lease.worker;
    s().lease = {};
    if (e.released) {
      exec->modified_ms = ctx_.now_ms;
      record("job_released", exec->id,
             "attempt " + std::to_string(exec->attempt) + ": " + worker + " never got it (" +
                 e.error + ")");
      return;
    }
    fail_attempt(*exec, *def_.find_step(exec->step), e.error + " (worker " + worker + ")",
                 e.retry_in_ms);
  }

  void on(const ev_lease_extended& e) {
    auto* exec = s().active();
    if (auto why = lease_problem(s(), e.step_id, e.token, ctx_.now_ms); !why.empty()) {
      return reject(why);
    }
    s().lease.expires_ms = ctx_.now_ms + e.lease_ms;
    exec->modified_ms = ctx_.now_ms;
    record("lease_extended", exec->id, "until " + format_iso_instant(s().lease.expires_ms));
    t_.effects.push_back(fx_arm_timer{exec->id, s().lease.expires_ms, false});
  }

  /// The job step's timers: its deadline ends the whole wait, a lease that ran out makes the
  /// job available again (an attempt used up).
  void job_due(step_execution& exec) {
    const auto& st = *def_.find_step(exec.step);
    if (exec.due_ms > 0 && exec.due_ms <= ctx_.now_ms) return time_out(exec, st);
    auto& lease = s().lease;
    if (!lease.held() || lease.step_id != exec.id || lease.expires_ms > ctx_.now_ms) {
      return reject("not due yet");
    }
    auto worker = std::move(lease.worker);
    lease = {};
    lease_expired_ = true;
    fail_attempt(exec, st, "lease of " + worker + " expired", 0);
  }

  void time_out(step_execution& exec, const step& st) {
    auto why = "timed out after " + std::to_string(st.timeout_ms) + " ms";
    finish_step(exec, step_status::failed, why);
    fail_process(st.id + ": " + why);
  }

  void on(const ev_due& e) {
    auto* exec = s().active();
    if (!exec || exec->id != e.step_id) return reject("nothing due for this step");
    if (exec->kind == step_kind::job && !exec->retry_pending) return job_due(*exec);
    // A stale wake-up (the step was executed early and armed again) must not cut a backoff.
    if (exec->due_ms > ctx_.now_ms) return reject("not due yet");
    if (exec->retry_pending) return retry_now(*exec);
    if (exec->kind == step_kind::timer) return complete(*exec, {}, "timer fired");
    if ((exec->kind == step_kind::external || exec->kind == step_kind::message) &&
        exec->due_ms > 0) {
      const auto& st = *def_.find_step(exec->step);
      return fail_attempt(*exec, st, "timed out after " + std::to_string(st.timeout_ms) + " ms");
    }
    reject("nothing due for this step");
  }

  void on(const ev_cancel& e) {
    if (is_terminal(s().status)) {
      return reject("process is already " + std::string(to_string(s().status)));
    }
    s().lease = {};
    s().awaited = {};
    if (auto* exec = s().active()) {
      cancel_children(*exec, "the parent process was cancelled");
      exec->status = step_status::skipped;
      exec->modified_ms = ctx_.now_ms;
      exec->retry_pending = false;
      record("step_skipped", exec->id, "cancelled");
    }
    s().status = process_status::cancelled;
    s().error = e.reason;
    record("process_cancelled", {}, e.reason);
    t_.effects.push_back(fx_finished{process_status::cancelled});
  }

  void on(const ev_retry& e) { resume_failed(e.by, e.vals); }

  /// A FAILED process runs again from the step that failed (else the last one it ran, else
  /// its first): a new execution of that step, whose retry policy starts afresh.
  void resume_failed(const std::string& by, const values& vals) {
    if (s().status != process_status::failed) {
      return reject("process is " + std::string(to_string(s().status)) + ", not FAILED");
    }
    const step_execution* from = nullptr;
    for (auto it = s().steps.rbegin(); it != s().steps.rend() && !from; ++it) {
      if (it->status == step_status::failed) from = &*it;
    }
    if (!from && !s().steps.empty()) from = &s().steps.back();
    std::optional<std::size_t> index = from ? def_.step_index(from->step) : entry_index();
    if (from && !index) return reject("step " + from->step + " is not in the definition");
    for (const auto& [name, v] : vals) s().vals[name] = v;
    s().status = process_status::running;
    s().error.clear();
    record("process_retried", {},
           "by " + by + (from ? ", from step " + from->step : std::string()) +
               (vals.empty() ? std::string() : ", with new values"));
    run_from(index);
  }

  void on(const ev_execute& e) {
    const auto* found = s().find_execution(e.step_id);
    if (!found) return reject("unknown step");
    // Executing the failed step of a FAILED process resumes it (an incident retry).
    if (s().status == process_status::failed && found->status == step_status::failed)
      return resume_failed("execute of " + e.step_id, {});
    auto* exec = s().active();
    if (exec != found) {
      record("execute_ignored", e.step_id, "already " + std::string(to_string(found->status)));
      return;
    }
    if (exec->retry_pending) return retry_now(*exec);
    const auto& st = *def_.find_step(exec->step);
    switch (exec->kind) {
      case step_kind::timer:
        return complete(*exec, {}, "executed before its time");
      case step_kind::http:
        return start_step(*exec, st);  // re-issue: at-least-once
      case step_kind::external: {
        for (const auto& p : st.params) {
          if (p.required) return reject("step expects params; use complete-step");
        }
        return complete(*exec, {}, "executed without params");
      }
      default:
        return reject("step cannot be executed");
    }
  }

  // ---- running steps ----

  std::optional<std::size_t> next_of(const step& st, std::size_t index) {
    if (st.next) {
      if (st.next->empty()) return std::nullopt;
      return def_.step_index(*st.next);
    }
    return def_.following(index);
  }

  /// Where this process begins: its entry step (a branch or item run), else the main sequence.
  std::optional<std::size_t> entry_index() {
    return s().entry.empty() ? def_.first_step() : def_.step_index(s().entry);
  }

  step_execution& begin(const step& st) {
    step_execution exec;
    exec.id = s().id + "-" + std::to_string(s().steps.size() + 1);
    exec.step = st.id;
    exec.kind = st.kind;
    exec.status = step_status::started;
    exec.created_ms = exec.modified_ms = ctx_.now_ms;
    s().steps.push_back(std::move(exec));
    record("step_started", s().steps.back().id, st.id);
    return s().steps.back();
  }

  const scenario_step* canned(const step& st) {
    if (!ctx_.sandbox_scenario) return nullptr;
    auto it = ctx_.sandbox_scenario->steps.find(st.id);
    return it == ctx_.sandbox_scenario->steps.end() ? nullptr : &it->second;
  }

  /// Runs steps from `index` until one has to wait for the world, or the process ends.
  void run_from(std::optional<std::size_t> index) {
    // A definition may loop (switch back); bound the synchronous work of one event.
    for (int budget = 10'000; budget > 0; --budget) {
      if (!index) return succeed();
      const auto& st = def_.steps[*index];
      auto& exec = begin(st);
      switch (st.kind) {
        case step_kind::script: {
          for (const auto& [name, tmpl] : st.set) s().vals[name] = render(tmpl, s().vals);
          finish_step(exec, step_status::completed, {});
          index = next_of(st, *index);
          continue;
        }
        case step_kind::switch_: {
          std::optional<std::string> target;
          for (const auto& c : st.cases) {
            auto parsed = expression::parse(c.when);
            auto* e = std::get_if<expression>(&parsed);
            auto result = e ? e->test(s().vals) : evaluation{{}, "condition does not parse"};
            if (!result.error.empty()) {
              finish_step(exec, step_status::failed, result.error);
              return fail_process(result.error);
            }
            if (result.result.boolean) {
              target = c.next;
              break;
            }
          }
          if (!target) target = st.default_next;
          if (!target) {
            finish_step(exec, step_status::failed, "no case matched");
            return fail_process("switch " + st.id + ": no case matched");
          }
          finish_step(exec, step_status::completed, "next " + *target);
          index = target->empty() ? std::nullopt : def_.step_index(*target);
          continue;
        }
        case step_kind::fail: {
          auto message = to_display(render(st.message, s().vals));
          finish_step(exec, step_status::failed, message);
          return fail_process(message);
        }
        default:
          break;
      }
      if (const auto* c = canned(st)) {  // sandbox: the scenario answers for the world
        if (c->fail) {
          finish_step(exec, step_status::failed, *c->fail);
          return fail_process(*c->fail);
        }
        values outputs = c->complete ? *c->complete : c->outputs;
        for (const auto& [k, v] : outputs) s().vals[k] = v;
        exec.params = std::move(outputs);
        finish_step(exec, step_status::completed, "sandbox scenario");
        index = next_of(st, *index);
        continue;
      }
      // A sandbox process never calls out nor sleeps: a timer passes on virtual time, and an
      // http step the scenario does not answer completes with no values.
      bool sandbox = s().sandbox || ctx_.sandbox_scenario;
      if (sandbox && (st.kind == step_kind::timer || st.kind == step_kind::http)) {
        finish_step(
            exec, step_status::completed,
            st.kind == step_kind::timer ? "sandbox: virtual time" : "sandbox: no call made");
        index = next_of(st, *index);
        continue;
      }
      return start_step(exec, st);
    }
    fail_process("too many steps in one transition (a loop without a waiting step?)");
  }

  /// Issues the effect that makes a waiting step progress.
  void start_step(step_execution& exec, const step& st) {
    switch (st.kind) {
      case step_kind::http: {
        fx_call_http call;
        call.step_id = exec.id;
        call.attempt = exec.attempt;
        call.method = st.http.method;
        call.url = to_display(render(st.http.url, s().vals));
        for (const auto& [name, tmpl] : st.http.headers) {
          call.headers.emplace_back(name, to_display(render(tmpl, s().vals)));
        }
        call.headers.emplace_back("Idempotency-Key", exec.id + "." + std::to_string(exec.attempt));
        if (st.http.body) {
          call.body = render_json_body(*st.http.body, s().vals);
          // The body is JSON (rendered from a JSON template): say so, or most delegate
          // frameworks will not parse it. A definition's own Content-Type wins.
          bool typed = std::ranges::any_of(call.headers, [](const auto& h) {
            return std::ranges::equal(h.first, std::string_view("content-type"),
                                      [](unsigned char a, char b) { return std::tolower(a) == b; });
          });
          if (!typed) call.headers.emplace_back("Content-Type", "application/json");
        }
        call.timeout_ms = st.timeout_ms;
        t_.effects.push_back(std::move(call));
        break;
      }
      case step_kind::external:
        if (st.timeout_ms > 0) {
          exec.due_ms = ctx_.now_ms + st.timeout_ms;
          t_.effects.push_back(fx_arm_timer{exec.id, exec.due_ms, false});
        }
        t_.effects.push_back(fx_await_external{exec.id});
        break;
      case step_kind::message: {
        // The correlation is fixed now: values the process gets later do not move the wait.
        s().awaited = {exec.id, st.name, to_display(render(st.correlation, s().vals))};
        if (st.timeout_ms > 0) {
          exec.due_ms = ctx_.now_ms + st.timeout_ms;
          t_.effects.push_back(fx_arm_timer{exec.id, exec.due_ms, false});
        }
        record("message_awaited", exec.id,
               s().awaited.name + " correlated by \"" + s().awaited.correlation + "\"");
        t_.effects.push_back(fx_await_message{exec.id, s().awaited.name, s().awaited.correlation});
        break;
      }
      case step_kind::job:
        // The deadline counts from the step's start: retries and expired leases use it up.
        if (st.timeout_ms > 0) {
          exec.due_ms = exec.created_ms + st.timeout_ms;
          if (exec.due_ms <= ctx_.now_ms) return time_out(exec, st);
          t_.effects.push_back(fx_arm_timer{exec.id, exec.due_ms, false});
        }
        break;
      case step_kind::subprocess:
      case step_kind::parallel:
        return start_children(exec, st);
      case step_kind::for_each:
        return start_items(exec, st);
      case step_kind::timer: {
        std::optional<std::int64_t> due;
        if (!st.duration.empty()) {
          if (auto ms = parse_duration_ms(st.duration)) due = ctx_.now_ms + *ms;
        } else {
          due = parse_iso_instant(to_display(render(st.until, s().vals)), missing_offset::utc);
        }
        if (!due) {
          finish_step(exec, step_status::failed, "timer: not an instant");
          return fail_process("timer " + st.id + ": not an instant");
        }
        exec.due_ms = *due;
        t_.effects.push_back(fx_arm_timer{exec.id, *due, false});
        break;
      }
      default:
        break;
    }
  }

  // ---- children: sub-processes, branches, items ----

  /// A new child of `exec`, not started yet; nullopt (the step failed) when too deep.
  child_run* add_child(step_execution& exec, int index) {
    auto depth = std::ranges::count(s().id, '.');
    if (depth >= max_child_depth) return nullptr;
    child_run c;
    c.id = s().id + "." + std::to_string(s().children.size() + 1);
    c.step_id = exec.id;
    c.attempt = exec.attempt;
    c.index = index;
    s().children.push_back(std::move(c));
    return &s().children.back();
  }

  void too_deep(step_execution& exec, const step& st) {
    auto why = "sub-processes nest deeper than " + std::to_string(max_child_depth);
    finish_step(exec, step_status::failed, why);
    fail_process(st.id + ": " + why);
  }

  void launch(const step& st, child_run& c) {
    auto fx = child_start(s(), def_, st, c);
    if (!fx) return;  // an item gone from the list: cannot happen while the step waits
    c.status = process_status::running;
    std::string what = st.kind == step_kind::subprocess ? st.child_definition
                       : st.kind == step_kind::parallel ? "branch " + std::to_string(c.index)
                                                        : "item " + std::to_string(c.index);
    record("child_started", c.step_id, c.id + " (" + what + ")");
    t_.effects.push_back(std::move(*fx));
  }

  /// A sub-process (one child) or a parallel step (one per branch), started at once.
  void start_children(step_execution& exec, const step& st) {
    auto count = st.kind == step_kind::parallel ? st.branches.size() : std::size_t{1};
    for (std::size_t i = 0; i < count; ++i) {
      auto* c = add_child(exec, static_cast<int>(i));
      if (!c) return too_deep(exec, st);
      launch(st, *c);
    }
  }

  /// A forEach: one child per item, up to its limit at once (one at a time unless parallel).
  void start_items(step_execution& exec, const step& st) {
    auto items = items_of(st, s().vals);
    if (!items) {
      auto why = "items: not a list (\"" + st.items + "\")";
      finish_step(exec, step_status::failed, why);
      return fail_process(st.id + ": " + why);
    }
    if (items->empty()) return complete(exec, collected(exec, st), "no items");
    for (std::size_t i = 0; i < items->size(); ++i) {
      if (!add_child(exec, static_cast<int>(i))) return too_deep(exec, st);
    }
    launch_waiting_items(exec, st);
  }

  std::vector<child_run*> children_of(const step_execution& exec) {
    std::vector<child_run*> out;
    for (auto& c : s().children) {
      if (c.step_id == exec.id && c.attempt == exec.attempt) out.push_back(&c);
    }
    return out;
  }

  void launch_waiting_items(step_execution& exec, const step& st) {
    std::size_t limit = !st.in_parallel ? 1
                        : st.limit > 0  ? static_cast<std::size_t>(st.limit)
                                        : std::numeric_limits<std::size_t>::max();
    auto kids = children_of(exec);
    auto running = std::ranges::count_if(
        kids, [](const child_run* c) { return c->status == process_status::running; });
    for (auto* c : kids) {
      if (static_cast<std::size_t>(running) >= limit) break;
      if (c->status != process_status::waiting) continue;
      launch(st, *c);
      ++running;
    }
  }

  /// Children of `exec` still running are cancelled: their end no longer matters to it.
  void cancel_children(step_execution& exec, const std::string& reason) {
    fx_cancel_children fx;
    fx.reason = reason;
    for (auto* c : children_of(exec)) {
      if (c->status == process_status::running) fx.ids.push_back(c->id);
      if (!is_terminal(c->status)) {
        c->status = process_status::cancelled;
        c->error = reason;
      }
    }
    if (!fx.ids.empty()) t_.effects.push_back(std::move(fx));
  }

  void on(const ev_child_ended& e) {
    auto* exec = s().active();
    if (!exec || exec->id != e.step_id || exec->retry_pending || !waits_for_children(exec->kind)) {
      return reject("step is not waiting for this child");
    }
    auto kids = children_of(*exec);
    auto it = std::ranges::find_if(kids, [&](const child_run* c) { return c->id == e.child_id; });
    if (it == kids.end() || (*it)->status != process_status::running) {
      return reject("child has already ended");
    }
    auto& c = **it;
    const auto& st = *def_.find_step(exec->step);
    c.status = e.status;
    c.error = e.error;
    if (e.status == process_status::succeeded) c.result = result_of(st, e);
    record("child_ended", exec->id,
           c.id + " " + std::string(to_string(e.status)) + (e.error.empty() ? "" : ": " + e.error));
    switch (st.kind) {
      case step_kind::subprocess:
        if (c.status == process_status::succeeded)
          return complete(*exec, c.result, "sub-process " + c.id + " succeeded");
        return fail_attempt(*exec, st, "sub-process " + c.id + " " + ended(c));
      case step_kind::parallel:
        return join(*exec, st);
      default:
        return next_item(*exec, st, c);
    }
  }

  static std::string ended(const child_run& c) {
    return std::string(to_string(c.status)) + (c.error.empty() ? "" : ": " + c.error);
  }

  /// What the parent takes from a child that succeeded: a sub-process' outputs (or its `map`);
  /// a branch's values that differ from the parent's; an item's values its step collects.
  values result_of(const step& st, const ev_child_ended& e) {
    values out;
    if (st.kind == step_kind::parallel) {
      for (const auto& [name, v] : e.vals) {
        auto mine = s().vals.find(name);
        if (mine == s().vals.end() || mine->second != v) out[name] = v;
      }
      return out;
    }
    if (st.kind == step_kind::subprocess && st.map.empty()) return e.outputs;
    for (const auto& [to, from] : st.map) {
      auto it = e.vals.find(from);
      if (it == e.vals.end()) continue;
      out[st.kind == step_kind::subprocess ? to : from] = it->second;
    }
    return out;
  }

  void join(step_execution& exec, const step& st) {
    auto kids = children_of(exec);
    int n = static_cast<int>(kids.size()), succeeded = 0, running = 0;
    const child_run* failed = nullptr;
    for (const auto* c : kids) {
      if (c->status == process_status::succeeded) ++succeeded;
      if (c->status == process_status::running) ++running;
      if (is_terminal(c->status) && c->status != process_status::succeeded && !failed) failed = c;
    }
    if (failed && !st.continue_on_failure) {
      cancel_children(exec, "branch " + std::to_string(failed->index) + " failed");
      return fail_attempt(
          exec, st,
          "branch " + std::to_string(failed->index) + " (" + failed->id + ") " + ended(*failed));
    }
    bool all = st.join.k == join_rule::kind::all;
    int needed = all ? n : st.join.count;
    if (all ? running > 0 : succeeded < needed) {
      if (!all && succeeded + running < needed) {
        cancel_children(exec, "the join cannot be met");
        return fail_attempt(exec, st,
                            "only " + std::to_string(succeeded + running) + " of " +
                                std::to_string(n) + " branches can succeed; " +
                                std::to_string(needed) + " must");
      }
      return;  // waits for more branches
    }
    cancel_children(exec, "the join was met without it");
    values merged;  // in branch order: with merge "last", a later branch's value wins
    for (const auto* c : kids) {
      if (c->status != process_status::succeeded) continue;
      for (const auto& [name, v] : c->result) merged[name] = v;
    }
    complete(exec, merged,
             "joined: " + std::to_string(succeeded) + " of " + std::to_string(n) +
                 " branches succeeded");
  }

  void next_item(step_execution& exec, const step& st, const child_run& c) {
    if (c.status != process_status::succeeded) {
      cancel_children(exec, "item " + std::to_string(c.index) + " failed");
      return fail_attempt(exec, st,
                          "item " + std::to_string(c.index) + " (" + c.id + ") " + ended(c));
    }
    auto kids = children_of(exec);
    if (std::ranges::all_of(kids, [](const child_run* k) { return is_terminal(k->status); })) {
      return complete(exec, collected(exec, st), std::to_string(kids.size()) + " items succeeded");
    }
    launch_waiting_items(exec, st);
  }

  /// A forEach's `collect`: per name, the list of each item's value, in item order.
  values collected(const step_execution& exec, const step& st) {
    auto kids = children_of(exec);
    values out;
    for (const auto& [to, from] : st.map) {
      std::vector<value> list;
      for (const auto* c : kids) {
        auto it = c->result.find(from);
        list.push_back(it == c->result.end() ? value{} : it->second);
      }
      out[to] = list_of(list);
    }
    return out;
  }

  void finish_step(step_execution& exec, step_status status, std::string detail) {
    if (s().lease.step_id == exec.id) s().lease = {};
    if (s().awaited.step_id == exec.id) s().awaited = {};
    exec.status = status;
    exec.modified_ms = ctx_.now_ms;
    exec.due_ms = 0;
    exec.retry_pending = false;
    if (status == step_status::failed) exec.error = detail;
    record(status == step_status::completed ? "step_completed" : "step_failed", exec.id,
           std::move(detail));
  }

  void complete(step_execution& exec, const values& outputs, std::string detail) {
    for (const auto& [k, v] : outputs) s().vals[k] = v;
    exec.params = outputs;
    finish_step(exec, step_status::completed, std::move(detail));
    auto index = *def_.step_index(exec.step);
    run_from(next_of(def_.steps[index], index));
  }

  retry_policy policy_for(const step& st) {
    if (st.retry) return *st.retry;
    retry_policy p;
    p.count = s().retry_count;
    return p;
  }

  /// @param delay_ms the wait before the retry when not the policy's backoff (a worker's
  ///        `retryInMs`; 0 for a job whose lease ran out, offered again at once)
  void fail_attempt(step_execution& exec, const step& st, const std::string& error,
                    std::optional<std::int64_t> delay_ms = std::nullopt) {
    auto policy = policy_for(st);
    bool retryable =
        st.kind == step_kind::http || st.kind == step_kind::job || waits_for_children(st.kind);
    if (retryable && exec.attempt <= policy.count) {
      auto delay = delay_ms ? std::max<std::int64_t>(0, *delay_ms)
                            : retry_delay_ms(policy, exec.attempt, ctx_.random);
      if (st.kind == step_kind::job && delay == 0) {
        record("attempt_failed", exec.id,
               "attempt " + std::to_string(exec.attempt) + ": " + error + "; offered again");
        ++exec.attempt;
        exec.error = error;
        exec.modified_ms = ctx_.now_ms;
        return;
      }
      exec.retry_pending = true;
      exec.error = error;
      exec.due_ms = ctx_.now_ms + delay;
      exec.modified_ms = ctx_.now_ms;
      record("attempt_failed", exec.id,
             "attempt " + std::to_string(exec.attempt) + ": " + error + "; retry in " +
                 std::to_string(delay) + " ms");
      t_.effects.push_back(fx_arm_timer{exec.id, exec.due_ms, true});
      return;
    }
    finish_step(exec, step_status::failed, error);
    fail_process(st.id + ": " + error);
  }

  void retry_now(step_execution& exec) {
    exec.retry_pending = false;
    exec.due_ms = 0;
    ++exec.attempt;
    exec.modified_ms = ctx_.now_ms;
    record("attempt_started", exec.id, "attempt " + std::to_string(exec.attempt));
    start_step(exec, *def_.find_step(exec.step));
  }

  void succeed() {
    s().status = process_status::succeeded;
    s().outputs.clear();
    for (const auto& name : def_.outputs) {
      if (auto it = s().vals.find(name); it != s().vals.end()) s().outputs[name] = it->second;
    }
    record("process_succeeded");
    t_.effects.push_back(fx_finished{process_status::succeeded});
  }

  void fail_process(std::string error) {
    s().status = process_status::failed;
    s().error = error;
    record("process_failed", {}, std::move(error));
    t_.effects.push_back(fx_finished{process_status::failed});
  }

  /// The active job step as the job board should see it; `gone` when there is none.
  fx_job job_effect(const process_state& state) const {
    fx_job fx;
    fx.status = job_status::gone;
    const auto* exec = state.active();
    if (!exec || exec->kind != step_kind::job || exec->retry_pending) return fx;
    const auto* st = def_.find_step(exec->step);
    if (!st) return fx;
    fx.step_id = exec->id;
    fx.type = job_type_of(state, *st);
    fx.attempt = exec->attempt;
    fx.created_ms = exec->created_ms;
    if (state.lease.held() && state.lease.step_id == exec->id) {
      fx.status = job_status::leased;
      fx.worker = state.lease.worker;
      fx.expires_ms = state.lease.expires_ms;
    } else {
      fx.status = job_status::waiting;
    }
    return fx;
  }

  /// Tells the job board what changed for workers in this transition: a job that left, and
  /// the one that waits or is leased now.
  void tell_job_board(fx_job before) {
    auto after = job_effect(t_.state);
    after.lease_expired = lease_expired_;
    if (after == before) return;
    if (!before.step_id.empty() && before.step_id != after.step_id) {
      before.status = job_status::gone;
      before.lease_expired = lease_expired_;
      t_.effects.push_back(std::move(before));
    }
    if (!after.step_id.empty()) t_.effects.push_back(std::move(after));
  }

  const definition& def_;
  const apply_context& ctx_;
  transition t_;
  bool lease_expired_ = false;
};

}  // namespace

transition apply(const process_state& state, const definition& def, const event& ev,
                 const apply_context& ctx) {
  return machine(state, def, ctx).run(ev);
}

std::vector<effect> resume_effects(const process_state& state, const definition& def) {
  std::vector<effect> out;
  if (state.status == process_status::waiting) return out;  // the scope queue admits it
  const auto* exec = state.active();
  if (!exec) return out;
  if (exec->retry_pending || exec->kind == step_kind::timer ||
      ((exec->kind == step_kind::external || exec->kind == step_kind::job ||
        exec->kind == step_kind::message) &&
       exec->due_ms > 0)) {
    out.push_back(fx_arm_timer{exec->id, exec->due_ms, exec->retry_pending});
  }
  if (exec->kind == step_kind::external) out.push_back(fx_await_external{exec->id});
  if (exec->kind == step_kind::job && !exec->retry_pending) {
    // Offered again; a lease held before the restart stays held until it runs out.
    fx_job fx;
    fx.step_id = exec->id;
    if (const auto* st = def.find_step(exec->step)) fx.type = job_type_of(state, *st);
    fx.attempt = exec->attempt;
    fx.created_ms = exec->created_ms;
    if (state.lease.held() && state.lease.step_id == exec->id) {
      fx.status = job_status::leased;
      fx.worker = state.lease.worker;
      fx.expires_ms = state.lease.expires_ms;
      out.push_back(fx_arm_timer{exec->id, state.lease.expires_ms, false});
    }
    out.push_back(std::move(fx));
  }
  if (waits_for_children(exec->kind) && !exec->retry_pending) {
    // Each child's start is idempotent: one that exists is not started again, and one that
    // ended meanwhile reports its end again (it may have been lost with the crash).
    if (const auto* st = def.find_step(exec->step)) {
      for (const auto& c : state.children) {
        if (c.step_id != exec->id || c.attempt != exec->attempt ||
            c.status != process_status::running)
          continue;
        if (auto fx = child_start(state, def, *st, c)) out.push_back(std::move(*fx));
      }
    }
  }
  if (exec->kind == step_kind::http && !exec->retry_pending) {
    // The call may or may not have happened before the crash: issue it again (at-least-once,
    // the Idempotency-Key lets the delegate see the repeat). Re-render from current values.
    apply_context ctx;
    auto t = apply(state, def, ev_execute{exec->id}, ctx);
    for (auto& fx : t.effects) {
      if (std::holds_alternative<fx_call_http>(fx)) out.push_back(std::move(fx));
    }
  }
  return out;
}

recovery_need recovery_need_of(const process_state& state) {
  recovery_need out;
  out.scope = state.scope;
  if (state.status == process_status::waiting) {
    out.kind = recovery_kind::queued;
    return out;
  }
  const auto* exec = state.active();
  if (!exec) return out;
  // The same cases as resume_effects, in the same order of precedence.
  if (exec->kind == step_kind::job && !exec->retry_pending) {
    out.kind = recovery_kind::job;
    out.step_id = exec->id;
  } else if (exec->retry_pending || exec->kind == step_kind::timer ||
             ((exec->kind == step_kind::external || exec->kind == step_kind::message) &&
              exec->due_ms > 0)) {
    out.kind = exec->retry_pending ? recovery_kind::retry : recovery_kind::timer;
    out.due_ms = exec->due_ms;
    out.step_id = exec->id;
  } else if (exec->kind == step_kind::http) {
    out.kind = recovery_kind::reissue;
  } else if (waits_for_children(exec->kind)) {
    out.kind = recovery_kind::children;
  }
  return out;
}

namespace {

/// Checks `params` against the contract of `st` (external or job step) into `out`.
void check_params(const step& st, const values& params, completion_check& out) {
  for (const auto& decl : st.params) {
    auto it = params.find(decl.name);
    if (it == params.end() || it->second.is_null()) {
      if (decl.required) out.param_errors.emplace_back(decl.name, "missing");
      continue;
    }
    // Strict: a param typed STRING is not a LONG even when it reads as one; only a whole
    // number widens to double.
    const auto& given = it->second;
    if (has_type(given, decl.type)) {
      out.accepted[decl.name] = given;
    } else if (decl.type == value_type::double_ && given.k == value::kind::integer) {
      out.accepted[decl.name] = value::of_number(static_cast<double>(given.integer));
    } else {
      out.param_errors.emplace_back(decl.name, "expected " + std::string(type_name(decl.type)));
    }
  }
  for (const auto& [name, v] : params) {  // undeclared params pass through as given
    if (!out.accepted.count(name) &&
        std::ranges::none_of(st.params, [&n = name](const auto& d) { return d.name == n; })) {
      out.accepted[name] = v;
    }
  }
}

}  // namespace

completion_check check_completion(const process_state& state, const definition& def,
                                  std::string_view step_id, const values& params) {
  completion_check out;
  const auto* exec = state.active();
  if (!exec || exec->id != step_id) {
    out.step_not_waiting = true;
    const auto* found = state.find_execution(step_id);
    out.reason = found ? "step is " + std::string(to_string(found->status)) : "step is not waiting";
    if (found && found == exec) out.reason = "step is not waiting for completion";
    return out;
  }
  if (exec->kind != step_kind::external) {
    out.step_not_waiting = true;
    out.reason = exec->kind == step_kind::job ? "step is a job: workers complete it under a lease"
                 : exec->kind == step_kind::message
                     ? "step waits for message \"" + state.awaited.name +
                           "\": POST /api/v1/messages completes it"
                     : "step is not an external step";
    return out;
  }
  check_params(*def.find_step(exec->step), params, out);
  return out;
}

completion_check check_message_delivery(const process_state& state, const definition& def,
                                        std::string_view step_id, std::string_view name,
                                        const values& params) {
  completion_check out;
  const auto* exec = state.active();
  if (!exec || exec->id != step_id || exec->kind != step_kind::message ||
      state.awaited.step_id != step_id || state.awaited.name != name) {
    out.step_not_waiting = true;
    out.reason = "step is not waiting for message \"" + std::string(name) + "\"";
    return out;
  }
  check_params(*def.find_step(exec->step), params, out);
  return out;
}

completion_check check_job_completion(const process_state& state, const definition& def,
                                      std::string_view step_id, std::string_view token,
                                      std::int64_t now_ms, const values& params) {
  completion_check out;
  if (auto why = lease_problem(state, step_id, token, now_ms); !why.empty()) {
    out.lease_conflict = true;
    out.reason = std::move(why);
    return out;
  }
  check_params(*def.find_step(state.active()->step), params, out);
  return out;
}

std::string lease_problem(const process_state& state, std::string_view step_id,
                          std::string_view token, std::int64_t now_ms) {
  const auto* exec = state.active();
  if (!exec || exec->id != step_id || exec->kind != step_kind::job) {
    const auto* found = state.find_execution(step_id);
    return found && found != exec ? "job is " + std::string(to_string(found->status))
                                  : "job is not waiting";
  }
  const auto& lease = state.lease;
  if (!lease.held() || lease.step_id != step_id) return "job is not leased";
  if (lease.token != token) return "leaseToken is not the job's lease";
  if (lease.expires_ms <= now_ms) return "lease expired";
  return {};
}

bool waits_for_children(step_kind kind) {
  return kind == step_kind::subprocess || kind == step_kind::parallel ||
         kind == step_kind::for_each;
}

std::string job_type_of(const process_state& state, const step& st) {
  return state.worker.empty() ? st.job_type : state.worker;
}

input_check check_inputs(const definition& def, const values& given) {
  input_check out;
  for (const auto& decl : def.inputs) {
    auto it = given.find(decl.name);
    if (it == given.end() || it->second.is_null()) {
      if (decl.default_value) {
        out.accepted[decl.name] = *coerce(*decl.default_value, decl.type);
      } else if (decl.required) {
        out.errors.emplace_back(decl.name, "required");
      }
      continue;
    }
    if (auto converted = coerce(it->second, decl.type)) {
      out.accepted[decl.name] = std::move(*converted);
    } else {
      out.errors.emplace_back(decl.name, "expected " + std::string(type_name(decl.type)));
    }
  }
  for (const auto& [name, v] : given) {  // undeclared values are kept: templates may use them
    if (!out.accepted.count(name) &&
        std::ranges::none_of(def.inputs, [&n = name](const auto& d) { return d.name == n; })) {
      out.accepted[name] = v;
    }
  }
  return out;
}

}  // namespace baton::model
