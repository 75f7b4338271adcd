#include "actors/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <random>

#include "actors/context.hpp"
#include "actors/durable_write.hpp"
#include "actors/new_process.hpp"
#include "storage/json_codec.hpp"
#include "storage/message_store.hpp"

namespace baton::actors {

namespace {

using answer_promise = caf::typed_response_promise<process_answer>;

/// A command waiting its turn while a write is in flight. `answer` is not pending for an
/// event of the engine's own.
struct pending_command {
  std::variant<model::event, complete_step> command;
  answer_promise answer;
  engine_errc reject_code = engine_errc::conflict;
};

/// Answers whoever waits on `answer`, if anybody does.
void reply(answer_promise& answer, process_answer a) {
  if (answer.pending()) answer.deliver(std::move(a));
}

struct process_actor_state {
  static inline const char* name = "baton.process";

  std::shared_ptr<engine_context> ctx;
  model::process_state state;
  std::shared_ptr<const model::definition> def;
  const model::scenario* scenario = nullptr;

  // The write in flight, and what to do when it is durable.
  bool writing = false;
  std::uint64_t token = 0;
  model::transition in_flight;
  std::optional<model::process_status> in_flight_previous;
  answer_promise in_flight_answer;
  bool in_flight_is_completion = false;
  model::values in_flight_params;
  /// The buffered message the next write consumes (a message completion); empty: none.
  std::string consume_key;

  /// An event of the engine's own (a timer, an http answer) whose transition is in flight:
  /// no client retries it, so when its write fails the process applies it again later.
  std::optional<model::event> in_flight_own_event;
  /// Commands wait while a failed write of an own event is retried after a pause.
  bool holding = false;

  std::deque<pending_command> queue;
  std::vector<answer_promise> waiters;  ///< synchronous starts waiting for the end
  /// An idempotent start not answered yet: its first answer goes to the scheduler too, for
  /// the duplicates that wait for it.
  bool report_start_answer = false;
  bool calling = false;  ///< an http call is out
  /// Child starts asked of the scheduler and not answered yet. Until they are, the process
  /// stays live: an answer that a start failed for a passing reason must find it to retry.
  std::size_t starting_children = 0;
  bool child_retry_due = false;  ///< a `children_atom` is on its way to retry failed starts
  std::uint64_t handled = 0;     ///< messages handled from the scheduler
  std::uint64_t idle_generation = 0;
  bool passivating = false;
  std::string idempotency_key;
  std::optional<model::callback_target> callback;  ///< until the first write stores it
  std::string in_flight_outbox_key;                ///< the callback this write makes due
  /// In a cluster: the epoch of this process' partition when this actor took its state. Its
  /// writes are fenced on it, so an actor left from an earlier ownership never writes over
  /// what another owner did meanwhile (0 on a single node).
  std::int64_t epoch = 0;
};

using process_self = process_actor::stateful_pointer<process_actor_state>;

/// A draw in [0,1) for retry jitter. One generator per thread, seeded once: seeding per
/// process actor cost a random_device read (a trapping cpuid on VMs) on every start.
double jitter_draw() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

process_answer answer_of(const process_actor_state& st) {
  process_answer a;
  a.process_id = st.state.id;
  a.process = std::make_shared<const model::process_state>(st.state);
  a.status = st.state.status;
  a.outputs = st.state.outputs;
  if (const auto* exec = st.state.active()) a.next_step_id = exec->id;
  return a;
}

process_answer error_answer(engine_errc code, std::string message) {
  process_answer a;
  a.code = code;
  a.message = std::move(message);
  return a;
}

void handle_next(process_self self);
void perform(process_self self, const model::effect& fx);
void maybe_idle(process_self self);

/// The answer to the start that created this process (directly, or to a synchronous start
/// as a waiter): an idempotent one tells the scheduler too, once.
void report_start(process_self self, const process_answer& a) {
  auto& st = self->state;
  if (!st.report_start_answer) return;
  st.report_start_answer = false;
  self->send(st.ctx->scheduler, start_answered{st.idempotency_key, a});
}

void answer_waiters(process_self self, const process_answer& a) {
  auto& st = self->state;
  if (st.waiters.empty()) return;
  report_start(self, a);
  for (auto& w : st.waiters) reply(w, a);
  st.waiters.clear();
}

/// Writes the transition; the rest happens in `on_persisted`.
void persist(process_self self, model::transition t, answer_promise answer) {
  auto& st = self->state;
  // A process not yet stored has no previous status: its indexes are all new.
  auto previous = st.state.history_seq == 0 ? std::nullopt : std::optional(st.state.status);
  storage::batch b;
  b.set_scope(st.ctx->process_scope(t.state.id, st.epoch));
  auto snapshot = st.ctx->store.put_process(b, t.state, previous);
  st.ctx->store.put_history(b, t.state.id, t.history);
  // The correlation index moves with the state: a message finds exactly the steps waiting.
  storage::put_message_wait(b, st.state, t.state);
  if (!st.consume_key.empty()) storage::erase_buffered_message(b, st.consume_key);
  st.consume_key.clear();
  if (!st.idempotency_key.empty() && !previous) {
    st.ctx->store.put_idempotent_answer(b, st.idempotency_key, t.state.id);
  }
  if (st.callback && !previous) st.ctx->store.put_callback(b, t.state.id, *st.callback);
  st.in_flight_outbox_key.clear();
  if (!t.state.callback_url.empty() && model::worth_a_callback(st.state, t.state)) {
    // In the same batch as the transition: the callback is owed exactly when the state is.
    st.in_flight_outbox_key =
        st.ctx->store.put_outbox(b, t.state.id, t.state.history_seq, snapshot);
  }
  st.writing = true;
  st.in_flight = std::move(t);
  st.in_flight_previous = previous;
  st.in_flight_answer = std::move(answer);
  submit_durable(st.ctx->store.committer(), caf::actor_cast<process_actor>(self), ++st.token,
                 std::move(b));
}

void on_persisted(process_self self, const write_done& msg) {
  auto& st = self->state;
  if (!st.writing || msg.token != st.token) return;
  st.writing = false;
  auto answer = std::move(st.in_flight_answer);
  st.in_flight_answer = answer_promise{};
  auto own_event = std::move(st.in_flight_own_event);
  st.in_flight_own_event.reset();
  if (!msg.written.ok()) {
    // The state stays what it was before this transition: memory never runs ahead of disk.
    auto failed = error_answer(errc_of(msg.written),
                               storage_message(msg.written, "writing process " + st.state.id));
    reply(answer, failed);
    if (msg.written.code() == storage::storage_errc::not_owner && st.state.history_seq != 0) {
      // Another node runs this process now (or nobody may, for the moment): this actor's state
      // may already be behind the other's. Leave; the next command loads it afresh.
      answer_waiters(self, failed);
      st.passivating = true;
      self->send(st.ctx->scheduler, passivate_request{st.state.id, st.handled});
      return;
    }
    if (own_event && st.state.history_seq != 0) {
      // Applied again to the same state, it makes the same transition once storage is back.
      st.queue.push_front({std::move(*own_event), answer_promise{}, engine_errc::conflict});
      st.holding = true;
      self->delayed_send(self, std::chrono::seconds(1), resume_atom::value);
      return;
    }
    if (st.state.history_seq == 0) {  // never created: give the scope slot back, leave
      answer_waiters(self, failed);
      report_start(self, failed);
      self->send(st.ctx->scheduler, process_finished{st.state.id, st.state.scope});
      st.state.status = model::process_status::failed;
    }
    return handle_next(self);
  }
  bool was_new = !st.in_flight_previous.has_value();
  if (was_new) {
    count_stored_start(*st.ctx);
    st.callback.reset();
  }
  if (!st.in_flight_outbox_key.empty()) {
    self->send(st.ctx->outbox(), callback_due{std::move(st.in_flight_outbox_key)});
  }
  if (const auto& was = st.state.lease;
      was.held() && (was.token != st.in_flight.state.lease.token ||
                     was.expires_ms != st.in_flight.state.lease.expires_ms)) {
    // The lease ended or moved before it ran out: its timer would only wake this process.
    self->send(st.ctx->scheduler, disarm_timer{st.state.id, was.step_id, was.expires_ms});
  }
  st.state = std::move(st.in_flight.state);
  // Answered before the effects are performed: the state is durable, and an effect that
  // fails (an exception ends this actor, which is then restarted from the snapshot) must not
  // cost the client its answer.
  auto a = answer_of(st);
  if (st.in_flight_is_completion) a.params = std::move(st.in_flight_params);
  st.in_flight_is_completion = false;
  if (model::is_terminal(st.state.status)) answer_waiters(self, a);
  if (answer.pending()) {
    if (was_new) report_start(self, a);
    reply(answer, std::move(a));
  }
  auto effects = std::move(st.in_flight.effects);
  for (const auto& fx : effects) perform(self, fx);
  handle_next(self);
}

/// Applies an event now (no write is in flight).
void apply_now(process_self self, const model::event& ev, answer_promise answer,
               engine_errc reject_code) {
  auto& st = self->state;
  model::apply_context actx;
  actx.now_ms = st.ctx->now_ms();
  actx.random = jitter_draw();
  actx.sandbox_scenario = st.scenario;
  auto t = model::apply(st.state, *st.def, ev, actx);
  if (!t.rejected.empty()) {
    st.in_flight_is_completion = false;
    st.consume_key.clear();
    auto code = reject_code;
    if (t.rejected == "unknown step") code = engine_errc::not_found;
    reply(answer, error_answer(code, t.rejected));
    return handle_next(self);
  }
  if (!answer.pending()) st.in_flight_own_event = ev;
  persist(self, std::move(t), std::move(answer));
}

void complete_now(process_self self, complete_step& cmd, answer_promise answer) {
  auto& st = self->state;
  auto check =
      cmd.lease_token ? model::check_job_completion(st.state, *st.def, cmd.step_id,
                                                    *cmd.lease_token, st.ctx->now_ms(), cmd.params)
      : !cmd.message.empty()
          ? model::check_message_delivery(st.state, *st.def, cmd.step_id, cmd.message, cmd.params)
          : model::check_completion(st.state, *st.def, cmd.step_id, cmd.params);
  if (check.lease_conflict) {
    auto a = error_answer(engine_errc::conflict, check.reason);
    a.field = "leaseToken";
    reply(answer, std::move(a));
    return handle_next(self);
  }
  if (check.step_not_waiting) {
    reply(answer, error_answer(engine_errc::not_waiting, check.reason));
    return handle_next(self);
  }
  if (!check.param_errors.empty()) {
    auto a = error_answer(engine_errc::invalid_params, "invalid params");
    a.field = check.param_errors.front().first;
    a.field_errors = std::move(check.param_errors);
    a.process_id = st.state.id;
    reply(answer, std::move(a));
    return handle_next(self);
  }
  st.in_flight_is_completion = true;
  st.in_flight_params = check.accepted;
  st.consume_key = std::move(cmd.consume_key);
  apply_now(self,
            model::ev_completed{cmd.step_id, std::move(check.accepted),
                                cmd.lease_token.value_or(std::string()), cmd.by, cmd.message},
            std::move(answer), cmd.lease_token ? engine_errc::conflict : engine_errc::not_waiting);
}

void handle_next(process_self self) {
  auto& st = self->state;
  if (st.writing || st.holding) return;
  if (st.queue.empty()) return maybe_idle(self);
  auto next = std::move(st.queue.front());
  st.queue.pop_front();
  if (auto* cmd = std::get_if<complete_step>(&next.command)) {
    complete_now(self, *cmd, std::move(next.answer));
  } else {
    apply_now(self, std::get<model::event>(next.command), std::move(next.answer), next.reject_code);
  }
}

void enqueue(process_self self, pending_command cmd) {
  self->state.queue.push_back(std::move(cmd));
  ++self->state.idle_generation;
  handle_next(self);
}

/// A message from the scheduler: counted for the passivation handshake.
void from_scheduler(process_self self) {
  ++self->state.handled;
  self->state.passivating = false;
}

/// The idempotency key of child `child_id`'s start: its id, in a namespace of its own.
std::string child_start_key(const std::string& child_id) { return "baton.child/" + child_id; }

/// A start that failed for a reason that passes (storage, shutdown, a timeout) is tried again.
bool passing(engine_errc code) {
  return code == engine_errc::storage_unavailable || code == engine_errc::storage_full ||
         code == engine_errc::shutting_down || code == engine_errc::timed_out;
}

constexpr auto child_start_timeout = std::chrono::seconds(30);
constexpr auto child_start_pause = std::chrono::seconds(1);

/// Tries the children's starts again after a pause. Meanwhile the process is not idle: it
/// must not passivate (and drop the retry) while a start owed to its step is undone.
void start_children_later(process_self self) {
  auto& st = self->state;
  if (st.child_retry_due) return;  // one retry starts every child still owed
  st.child_retry_due = true;
  self->delayed_send(self, child_start_pause, children_atom::value);
}

/// A child start was answered: with nothing else in flight, the process may go idle.
void child_start_answered(process_self self) {
  if (--self->state.starting_children == 0) maybe_idle(self);
}

/// Starts a child process as its parent's effect says. A child that exists already (a
/// restart re-issues the start) is not started again; when it has ended, its end is reported
/// again, since the report it sent may have been lost with the crash. A child that ends in
/// its first write reports its own end, so a fresh start's answer reports nothing.
void start_child(process_self self, const model::fx_start_child& fx) {
  auto& st = self->state;
  ++st.starting_children;
  start_request req;
  req.definition = fx.definition;
  req.version = fx.version;
  req.values = fx.vals;
  req.idempotency_key = child_start_key(fx.child_id);
  req.retry_count = st.state.retry_count;
  req.sandbox = st.state.sandbox;
  // A branch or item runs this definition, so this scenario answers for its steps too; a
  // sub-process takes the scenario of that name when its definition has one.
  if (!st.state.scenario.empty()) {
    auto child = fx.entry.empty() ? st.ctx->definitions.find(fx.definition, fx.version) : st.def;
    if (child && child->find_scenario(st.state.scenario)) req.scenario = st.state.scenario;
  }
  req.worker = st.state.worker;
  req.process_id = fx.child_id;
  req.parent_id = st.state.id;
  req.parent_step = fx.step_id;
  req.entry = fx.entry;
  auto ended = [self, fx](model::process_status status, const model::process_state* child,
                          std::string error) {
    model::ev_child_ended ev{fx.step_id, fx.child_id, status, {}, {}, std::move(error)};
    if (child) {
      ev.vals = child->vals;
      ev.outputs = child->outputs;
      ev.error = child->error;
    }
    enqueue(self, {model::event(std::move(ev)), answer_promise{}, engine_errc::conflict});
  };
  self->request(st.ctx->scheduler, child_start_timeout, start_process{std::move(req)})
      .then(
          [self, ended](process_answer& a) {
            if (a.code == engine_errc::ok) {
              if (a.replayed && a.process && model::is_terminal(a.status))
                ended(a.status, a.process.get(), {});
            } else if (passing(a.code)) {
              start_children_later(self);
            } else {
              // The child can never start (an unknown or retired definition, values its
              // inputs refuse): it failed, and the step's retry policy decides what follows.
              ended(model::process_status::failed, nullptr, "not started: " + a.message);
            }
            child_start_answered(self);
          },
          [self](caf::error&) {
            start_children_later(self);
            child_start_answered(self);
          });
}

void perform(process_self self, const model::effect& fx) {
  auto& st = self->state;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, model::fx_call_http>) {
          outgoing::outgoing_request req;
          req.method = e.method;
          req.url = e.url;
          req.headers = e.headers;
          req.body = e.body;
          if (e.timeout_ms > 0)
            req.timeout = std::chrono::milliseconds(e.timeout_ms);
          else
            req.timeout = st.ctx->settings.outgoing.default_timeout;
          st.calling = true;
          auto handle = caf::actor_cast<process_actor>(self);
          st.ctx->delegates.call(std::move(req), [handle, id = e.step_id, attempt = e.attempt](
                                                     outgoing::outgoing_response r) {
            caf::anon_send(handle, http_result{id, attempt, std::move(r)});
          });
        } else if constexpr (std::is_same_v<T, model::fx_arm_timer>) {
          if (e.retry) {
            self->send(st.ctx->scheduler, schedule_retry{st.state.id, e.step_id, e.due_ms});
          } else {
            self->send(st.ctx->scheduler, arm_timer{st.state.id, e.step_id, e.due_ms});
          }
        } else if constexpr (std::is_same_v<T, model::fx_job>) {
          if (auto board = st.ctx->job_board())
            self->send(board, job_changed{st.state.id, st.state.definition, e});
        } else if constexpr (std::is_same_v<T, model::fx_await_message>) {
          if (st.ctx->message_awaited) st.ctx->message_awaited(e.name, e.correlation);
        } else if constexpr (std::is_same_v<T, model::fx_start_child>) {
          start_child(self, e);
        } else if constexpr (std::is_same_v<T, model::fx_cancel_children>) {
          for (const auto& id : e.ids)
            self->send(st.ctx->scheduler, engine_event{id, model::ev_cancel{e.reason}});
        } else if constexpr (std::is_same_v<T, model::fx_finished>) {
          if (!st.state.parent_id.empty()) {
            // The parent's step waits for this end. Should this message be lost (a crash), the
            // parent's restart starts this child again, which reports its end again.
            self->send(st.ctx->scheduler,
                       engine_event{
                           st.state.parent_id,
                           model::ev_child_ended{st.state.parent_step, st.state.id, e.status,
                                                 st.state.vals, st.state.outputs, st.state.error}});
          }
          count_finished(*st.ctx, e.status);
          // Only a scope has a slot to free: skip the message (and the hop) otherwise.
          if (!st.state.scope.empty()) {
            self->send(st.ctx->scheduler, process_finished{st.state.id, st.state.scope});
          }
        }
      },
      fx);
}

/// Nothing queued, nothing in flight: after a while (at once when finished) ask to leave.
/// Something is under way that an idle process would drop: a write, a command, a waiter, an
/// http call, a child's start or its retry.
bool busy(const process_actor_state& st) {
  return st.writing || st.holding || !st.queue.empty() || !st.waiters.empty() || st.calling ||
         st.starting_children > 0 || st.child_retry_due;
}

void maybe_idle(process_self self) {
  auto& st = self->state;
  if (busy(st) || st.passivating) return;
  auto generation = ++st.idle_generation;
  if (model::is_terminal(st.state.status)) {
    st.passivating = true;
    self->send(st.ctx->scheduler, passivate_request{st.state.id, st.handled});
    return;
  }
  auto after = st.ctx->passivate_after();
  if (after.count() == 0) return self->send(self, idle_atom::value, generation);
  // In the line of idle processes, not one CAF timer each (see idle_line).
  if (st.ctx->idle->add({self->clock().now() + after, {st.state.id, self->id(), generation}}))
    self->send(st.ctx->idle_watch, tick_atom::value);
}

void on_http_result(process_self self, http_result& msg) {
  auto& st = self->state;
  st.calling = false;
  model::ev_http_answered ev;
  ev.step_id = msg.step_id;
  ev.attempt = msg.attempt;
  ev.status = msg.response.status;
  ev.error = msg.response.error;
  ev.permanent = msg.response.refused;
  if (ev.error.empty()) {
    const auto* exec = st.state.find_execution(msg.step_id);
    const auto* step = exec ? st.def->find_step(exec->step) : nullptr;
    if (step) {
      for (const auto& [name, pointer] : step->http.map) {
        auto v = storage::value_at_pointer(msg.response.body, pointer);
        if (!v) {
          bool ok_status = msg.response.status >= 200 && msg.response.status < 300;
          if (ok_status) ev.error = "answer has no " + pointer;
          break;
        }
        ev.mapped[name] = std::move(*v);
      }
    }
  }
  enqueue(self, {model::event(std::move(ev)), answer_promise{}, engine_errc::conflict});
}

/// Starts a new process (its first write), or resumes a loaded one's effects.
void begin(process_self self, process_launch& launch, answer_promise answer) {
  auto& st = self->state;
  if (launch.is_new) {
    st.report_start_answer = !st.idempotency_key.empty();
    auto t = first_transition(st.state, *st.def, st.scenario, launch.admitted, st.ctx->now_ms());
    if (launch.wait_timeout_ms && !model::is_terminal(t.state.status) && answer.pending()) {
      // Synchronous start: the waiter answers when the process ends, or at the timeout with
      // 202; a failed creation answers it at once.
      st.waiters.push_back(std::move(answer));
      answer = answer_promise{};
      self->delayed_send(self, std::chrono::milliseconds(*launch.wait_timeout_ms), wait_atom::value,
                         std::uint64_t{0});
    }
    persist(self, std::move(t), std::move(answer));
  } else if (launch.reissue) {
    for (const auto& fx : model::resume_effects(st.state, *st.def)) perform(self, fx);
  } else {
    for (const auto& fx : launch.effects) perform(self, fx);
  }
}

process_actor::behavior_type process(process_self self, std::shared_ptr<engine_context> ctx,
                                     process_launch launch, answer_promise answer) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.state = std::move(launch.state);
  st.idempotency_key = std::move(launch.idempotency_key);
  st.callback = std::move(launch.callback);
  st.def = st.ctx->definitions.find(st.state.definition, st.state.version);
  st.epoch = launch.epoch ? *launch.epoch : st.ctx->epoch_for(st.state.id);
  ++st.ctx->live;
  self->attach_functor([c = st.ctx] { --c->live; });
  if (!st.def) {
    // The definition version is gone (should not happen: versions are never deleted).
    reply(answer, error_answer(engine_errc::unknown_definition, "definition missing"));
    self->quit();
    return process_actor::behavior_type::make_empty_behavior();
  }
  if (!st.state.scenario.empty()) st.scenario = st.def->find_scenario(st.state.scenario);
  begin(self, launch, std::move(answer));

  return {
      [=](process_command& cmd) -> caf::result<process_answer> {
        from_scheduler(self);
        auto answer = self->make_response_promise<process_answer>();
        enqueue(self, {model::event(std::move(cmd.event)), answer, cmd.reject_code});
        return answer;
      },
      [=](complete_step& cmd) -> caf::result<process_answer> {
        from_scheduler(self);
        auto answer = self->make_response_promise<process_answer>();
        enqueue(self, {std::move(cmd), answer, engine_errc::not_waiting});
        return answer;
      },
      [=](engine_event& ev) {
        from_scheduler(self);
        enqueue(self, {std::move(ev.event), answer_promise{}, engine_errc::conflict});
      },
      [=](const write_done& msg) { on_persisted(self, msg); },
      [=](resume_atom) {
        self->state.holding = false;
        handle_next(self);
      },
      [=](http_result& msg) { on_http_result(self, msg); },
      [=](idle_atom, std::uint64_t generation) {
        auto& s = self->state;
        if (generation != s.idle_generation || busy(s)) return;
        s.passivating = true;
        self->send(s.ctx->scheduler, passivate_request{s.state.id, s.handled});
      },
      [=](passivate_atom) {
        ++self->state.handled;
        ++self->state.ctx->passivated;
        self->quit();
      },
      [=](announce_atom) {
        // A new job board knows no job: tell it where this process' job step stands, as a
        // restart after a crash would (only the job effect: nothing else is re-issued).
        auto& s = self->state;
        if (!s.def || model::is_terminal(s.state.status)) return;
        for (const auto& fx : model::resume_effects(s.state, *s.def)) {
          if (std::holds_alternative<model::fx_job>(fx)) perform(self, fx);
        }
      },
      [=](children_atom) {
        auto& s = self->state;
        s.child_retry_due = false;
        if (s.def && !model::is_terminal(s.state.status)) {
          for (const auto& fx : model::resume_effects(s.state, *s.def)) {
            if (std::holds_alternative<model::fx_start_child>(fx)) perform(self, fx);
          }
        }
        maybe_idle(self);
      },
      [=](wait_atom, std::uint64_t) {
        auto& s = self->state;
        if (s.waiters.empty()) return;
        auto a = answer_of(s);
        a.wait_timed_out = true;
        answer_waiters(self, a);
        maybe_idle(self);
      },
  };
}

}  // namespace

process_actor spawn_process(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx,
                            process_launch launch, answer_promise answer) {
  return parent->spawn<caf::monitored>(process, std::move(ctx), std::move(launch),
                                       std::move(answer));
}

}  // namespace baton::actors
