#include "actors/scheduler.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/new_process.hpp"
#include "actors/process.hpp"
#include "actors/scope_queue.hpp"
#include "model/ids.hpp"
#include "storage/json_codec.hpp"

namespace baton::actors {

namespace {

struct live_process {
  caf::actor handle;
  std::uint64_t sent = 0;  ///< messages sent to it, compared on passivation
};

/// Work left from recovery, done a chunk per turn (see `resume_chunk`).
struct recovery_backlog {
  recovered_work work;
  std::size_t next_admit = 0, next_timer = 0, next_retry = 0, next_reissue = 0;
  /// Per entry of `work.reissue`: already re-issued, because a command loaded it first.
  std::vector<bool> reissued;

  bool done() const {
    return next_admit == work.admit.size() && next_timer == work.timers.size() &&
           next_retry == work.retries.size() && next_reissue == work.reissue.size();
  }
  /// True once if `id` still waits for its call to be re-issued; it is then marked done.
  bool take_reissue(const std::string& id) {
    auto it = std::lower_bound(work.reissue.begin() + next_reissue, work.reissue.end(), id);
    if (it == work.reissue.end() || *it != id) return false;
    auto i = static_cast<std::size_t>(it - work.reissue.begin());
    if (reissued[i]) return false;
    reissued[i] = true;
    return true;
  }
};

/// Recovered items handled per scheduler turn, and due timers fired per tick: enough to
/// keep up, small enough that a command waits for at most one chunk (a rehydration costs
/// tens of µs).
constexpr std::size_t resume_chunk = 256;

struct scheduler_state {
  static inline const char* name = "baton.scheduler";
  std::shared_ptr<engine_context> ctx;
  model::id_generator ids{1, static_cast<std::uint32_t>(std::random_device{}())};
  std::unordered_map<std::string, live_process> live;
  std::unordered_map<caf::actor_addr, std::string> id_by_addr;
  std::map<std::string, caf::actor, std::less<>> scopes;
  std::multimap<std::int64_t, std::pair<std::string, std::string>> timers;
  std::int64_t armed_due = INT64_MAX;
  std::unordered_map<std::string, std::vector<answer_callback>> idempotent_in_flight;
  recovery_backlog backlog;
};

using scheduler_self = caf::stateful_actor<scheduler_state>*;

process_answer error_answer(engine_errc code, std::string message, std::string field = {}) {
  process_answer a;
  a.code = code;
  a.message = std::move(message);
  a.field = std::move(field);
  return a;
}

live_process& launch(scheduler_self self, process_launch launch) {
  auto& st = self->state;
  auto id = launch.state.id;
  auto handle = spawn_process(self, st.ctx, std::move(launch));
  st.id_by_addr[handle.address()] = id;
  auto& entry = st.live[id];
  entry = live_process{std::move(handle), 0};
  return entry;
}

/// The live actor of `id`, rehydrated from its snapshot when passivated; null if unknown;
/// failed when its snapshot could not be read (which is not "unknown").
storage::result<live_process*> find_or_rehydrate(scheduler_self self, const std::string& id,
                                                 bool reissue = false) {
  auto& st = self->state;
  if (auto it = st.live.find(id); it != st.live.end()) return &it->second;
  auto stored = st.ctx->store.load_process(id);
  if (!stored.ok()) return stored.error();
  if (!stored.value()) return static_cast<live_process*>(nullptr);
  ++st.ctx->rehydrated;
  process_launch l;
  l.state = std::move(*stored.value());
  // A command may reach a process before whatever owes it an actor: the recovery backlog
  // after a restart, or the launch of a batched schedule fire. Its call goes out and its
  // timer is armed now. An actor passivated at a timer gets the timer armed again, which is
  // harmless: the second expiry finds the step no longer waiting.
  auto need = model::recovery_need_of(l.state).kind;
  bool owes_work = need == model::recovery_kind::reissue ||
                   need == model::recovery_kind::timer || need == model::recovery_kind::retry;
  l.reissue = st.backlog.take_reissue(id) || reissue || owes_work;
  return &launch(self, std::move(l));
}

/// Sends `msg` to the process `id`. @returns whether it was delivered (false: no such
/// process), or failed when the process could not be read.
template <class Message>
storage::result<bool> deliver(scheduler_self self, const std::string& id, Message&& msg) {
  auto found = find_or_rehydrate(self, id);
  if (!found.ok()) return found.error();
  auto* p = found.value();
  if (!p) return false;
  ++p->sent;
  self->send(p->handle, std::forward<Message>(msg));
  return true;
}

/// Answers a client's command that did not reach its process: `unknown` when there is no
/// such process, a storage error when it could not be read.
void answer_undelivered(const storage::result<bool>& sent, const answer_callback& done,
                        const std::string& id, process_answer unknown) {
  if (!done) return;
  if (!sent.ok()) {
    done(error_answer(errc_of(sent.error()),
                      storage_message(sent.error(), "rehydrating process " + id)));
  } else if (!sent.value()) {
    done(std::move(unknown));
  }
}

/// How long work of the engine's own (a due timer, an admission) waits before it is tried
/// again when its process could not be read: the disk may come back, and then it goes on.
constexpr auto unreadable_retry = std::chrono::seconds(1);

caf::actor scope_queue_of(scheduler_self self, const std::string& scope) {
  auto& st = self->state;
  auto it = st.scopes.find(scope);
  if (it != st.scopes.end()) return it->second;
  auto q = spawn_scope_queue(self, st.ctx, scope);
  st.scopes.emplace(scope, q);
  return q;
}

void rearm(scheduler_self self) {
  auto& st = self->state;
  if (st.timers.empty()) return;
  auto due = st.timers.begin()->first;
  if (due >= st.armed_due) return;
  st.armed_due = due;
  auto delay = due - st.ctx->now_ms();
  // Already due (e.g. during a downtime): no trip through the clock.
  if (delay <= 0) return self->send(self, tick_atom::value);
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

/// Fires what is due, at most a chunk per turn: after a downtime many timers may be due at
/// once, and each rehydrates its process.
void on_tick(scheduler_self self) {
  auto& st = self->state;
  st.armed_due = INT64_MAX;
  auto now = st.ctx->now_ms();
  for (std::size_t n = 0; n < resume_chunk && !st.timers.empty() && st.timers.begin()->first <= now;
       ++n) {
    auto node = st.timers.extract(st.timers.begin());
    auto& [process_id, step_id] = node.mapped();
    auto sent = deliver(self, process_id, event_cmd{process_id, model::ev_due{step_id}, nullptr});
    if (!sent.ok()) {
      (void)storage_message(sent.error(), "rehydrating process " + process_id);
      self->delayed_send(self, unreadable_retry,
                         arm_timer{process_id, step_id, now});
    }
  }
  if (!st.timers.empty() && st.timers.begin()->first <= now) {
    st.armed_due = now;
    self->send(self, tick_atom::value);
    return;
  }
  rearm(self);
}

/// One chunk of the recovery backlog: admissions first (they were waiting longest), then
/// timers, retries and calls to re-issue. @returns false when the backlog is empty.
bool resume_chunk_of_backlog(scheduler_self self) {
  auto& st = self->state;
  auto& b = st.backlog;
  auto& w = b.work;
  std::size_t budget = resume_chunk;
  for (; budget > 0 && b.next_admit < w.admit.size(); --budget, ++b.next_admit) {
    const auto& id = w.admit[b.next_admit];
    if (auto sent = deliver(self, id, event_cmd{id, model::ev_admitted{}, nullptr}); !sent.ok()) {
      (void)storage_message(sent.error(), "rehydrating process " + id);
      self->delayed_send(self, unreadable_retry, admit_cmd{id});
    }
  }
  bool armed = false;
  for (; budget > 0 && b.next_timer < w.timers.size(); --budget, ++b.next_timer) {
    auto& t = w.timers[b.next_timer];
    st.timers.emplace(t.due_ms, std::make_pair(std::move(t.process_id), std::move(t.step_id)));
    armed = true;
  }
  if (armed) rearm(self);
  for (; budget > 0 && b.next_retry < w.retries.size(); --budget, ++b.next_retry) {
    self->send(st.ctx->retry, std::move(w.retries[b.next_retry]));
  }
  for (; budget > 0 && b.next_reissue < w.reissue.size(); --budget, ++b.next_reissue) {
    if (b.reissued[b.next_reissue]) continue;  // a command loaded it first
    b.reissued[b.next_reissue] = true;
    const auto& id = w.reissue[b.next_reissue];
    if (auto found = find_or_rehydrate(self, id, true); !found.ok()) {
      (void)storage_message(found.error(), "rehydrating process " + id);
      self->delayed_send(self, unreadable_retry, restart_process{id});
    }
  }
  if (!b.done()) return true;
  b = recovery_backlog{};  // give the memory back
  return false;
}

void start_process(scheduler_self self, start_cmd& cmd) {
  auto& st = self->state;
  auto& req = cmd.request;
  auto now = st.ctx->now_ms();
  auto prepared = prepare_launch(*st.ctx, req, st.ids.next(now), now);
  if (auto* refused = std::get_if<process_answer>(&prepared)) return cmd.done(std::move(*refused));
  auto& l = std::get<process_launch>(prepared);
  l.done = std::move(cmd.done);
  if (req.scope.empty()) {
    l.admitted = true;
    launch(self, std::move(l));
    return;
  }
  auto pending = std::make_shared<process_launch>(std::move(l));
  self->request(scope_queue_of(self, req.scope), caf::infinite, reserve_atom::value,
                pending->state.id, req.reject_if_busy)
      .then([=](admission a) {
        if (a == admission::rejected) {
          return pending->done(error_answer(engine_errc::scope_busy,
                                            "scope \"" + pending->state.scope + "\" is busy",
                                            "scope"));
        }
        pending->admitted = a == admission::admitted;
        launch(self, std::move(*pending));
      });
}

/// Idempotent start: a stored key answers at once; a key in flight waits for the first.
void on_start(scheduler_self self, start_cmd& cmd) {
  auto& st = self->state;
  const auto key = cmd.request.idempotency_key;
  if (key.empty()) return start_process(self, cmd);
  auto unreadable = [&](const storage::status& failed) {
    cmd.done(error_answer(errc_of(failed), storage_message(failed, "reading idempotency key")));
  };
  auto stored = st.ctx->store.idempotent_answer(key);
  if (!stored.ok()) return unreadable(stored.error());
  if (stored.value()) {
    const auto& id = *stored.value();
    auto snapshot = st.ctx->store.process_raw(id);
    if (!snapshot.ok()) return unreadable(snapshot.error());
    process_answer a;
    a.process_id = id;
    a.replayed = true;
    if (snapshot.value()) {
      a.process_json = std::string(storage::json_of(*snapshot.value()));
      if (auto p = storage::decode_process(*snapshot.value())) {
        a.status = p->status;
        a.outputs = p->outputs;
      }
    }
    return cmd.done(std::move(a));
  }
  auto [it, first] = st.idempotent_in_flight.try_emplace(key);
  if (!first) {
    it->second.push_back(std::move(cmd.done));
    return;
  }
  auto handle = caf::actor_cast<caf::actor>(self);
  cmd.done = [handle, key, original = std::move(cmd.done)](process_answer a) {
    caf::anon_send(handle, idempotent_answered{key, a});
    original(std::move(a));
  };
  start_process(self, cmd);
}

void on_process_down(scheduler_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.id_by_addr.find(msg.source);
  if (it == st.id_by_addr.end()) return;
  auto id = std::move(it->second);
  st.id_by_addr.erase(it);
  if (auto live = st.live.find(id);
      live != st.live.end() && live->second.handle.address() == msg.source) {
    st.live.erase(live);
  }
  bool crashed = msg.reason && msg.reason != caf::exit_reason::normal;
  if (crashed) self->send(st.ctx->retry, process_crashed{id});
}

/// Lets an idle process leave memory, unless a message to it is still on its way.
void on_passivate_request(scheduler_self self, const passivate_request& r) {
  auto& st = self->state;
  auto it = st.live.find(r.process_id);
  if (it == st.live.end() || it->second.sent != r.handled) return;
  auto handle = std::move(it->second.handle);
  st.live.erase(it);
  // It leaves on request: no need to hear of its exit (one message fewer per process).
  st.id_by_addr.erase(handle.address());
  self->demonitor(handle);
  self->send(handle, passivate_atom::value);
}

caf::behavior scheduler(scheduler_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  // Scope queues are linked to the scheduler, so a shutdown takes them along. Processes
  // are monitored instead (see spawn_process) and told to exit here.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown || msg.reason == caf::exit_reason::kill) {
      for (auto& [id, process] : self->state.live) self->send_exit(process.handle, msg.reason);
      self->quit(msg.reason);
    }
  });
  // A process that dies of an error is restarted from its snapshot by the retry actor.
  self->set_down_handler([=](caf::down_msg& msg) { on_process_down(self, msg); });
  return {
      [=](start_cmd& cmd) { on_start(self, cmd); },
      [=](idempotent_answered& msg) {
        auto& st = self->state;
        auto it = st.idempotent_in_flight.find(msg.key);
        if (it == st.idempotent_in_flight.end()) return;
        for (auto& waiting : it->second) {
          auto a = msg.answer;
          a.replayed = true;
          waiting(std::move(a));
        }
        st.idempotent_in_flight.erase(it);
      },
      [=](event_cmd& cmd) {
        auto id = cmd.process_id;
        auto done = cmd.done;
        answer_undelivered(deliver(self, id, std::move(cmd)), done, id,
                           error_answer(engine_errc::not_found, "unknown process \"" + id + "\""));
      },
      [=](complete_cmd& cmd) {
        auto id = cmd.process_id;
        auto done = cmd.done;
        answer_undelivered(
            deliver(self, id, std::move(cmd)), done, id,
            error_answer(engine_errc::not_found, "unknown processStepId", "processStepId"));
      },
      [=](admit_cmd& cmd) {
        auto sent =
            deliver(self, cmd.process_id, event_cmd{cmd.process_id, model::ev_admitted{}, nullptr});
        if (!sent.ok()) {
          (void)storage_message(sent.error(), "rehydrating process " + cmd.process_id);
          self->delayed_send(self, unreadable_retry, std::move(cmd));
        }
      },
      [=](const arm_timer& t) {
        self->state.timers.emplace(t.due_ms, std::make_pair(t.process_id, t.step_id));
        rearm(self);
      },
      [=](tick_atom) { on_tick(self); },
      [=](const process_finished& f) {
        if (!f.scope.empty())
          self->send(scope_queue_of(self, f.scope), release_atom::value, f.process_id);
      },
      [=](const passivate_request& r) { on_passivate_request(self, r); },
      [=](const restart_process& r) {
        if (auto found = find_or_rehydrate(self, r.process_id, true); !found.ok()) {
          (void)storage_message(found.error(), "restarting process " + r.process_id);
          self->delayed_send(self, unreadable_retry, r);
        }
      },
      [=](launch_stored& m) {
        // Only a command that found the process on disk first (between its batch becoming
        // durable and this message) has an actor for it already: that one stays, and
        // `find_or_rehydrate` gave it this work.
        for (auto& l : m.launches) {
          if (!self->state.live.count(l.state.id)) launch(self, std::move(l));
        }
      },
      [=](recovered_work& w) {
        auto& b = self->state.backlog;
        b = recovery_backlog{};
        b.reissued.assign(w.reissue.size(), false);
        b.work = std::move(w);
        self->send(self, resume_atom::value);
      },
      [=](resume_atom) {
        // Back of the mailbox after each chunk: commands that came meanwhile go first.
        if (resume_chunk_of_backlog(self)) self->send(self, resume_atom::value);
      },
      [=](scope_restore& r) { self->send(scope_queue_of(self, r.scope), std::move(r)); },
      [=](scope_query& q) { self->send(scope_queue_of(self, q.scope), std::move(q)); },
      [=](scope_configure& c) { self->send(scope_queue_of(self, c.scope), std::move(c)); },
      [=](scope_list_query& q) {
        auto& st = self->state;
        struct gather {
          std::mutex mutex;
          std::vector<scope_info> items;
          std::size_t expected;
          std::function<void(std::vector<scope_info>)> done;
        };
        if (st.scopes.empty()) return q.done({});
        auto g = std::make_shared<gather>();
        g->expected = st.scopes.size();
        g->done = std::move(q.done);
        for (auto& [name, queue] : st.scopes) {
          self->send(queue, scope_query{name, [g](scope_info info) {
                                          std::lock_guard lock(g->mutex);
                                          g->items.push_back(std::move(info));
                                          if (g->items.size() == g->expected) g->done(std::move(g->items));
                                        }});
        }
      },
  };
}

struct retry_state {
  static inline const char* name = "baton.retry";
  std::shared_ptr<engine_context> ctx;
  std::unordered_map<std::string, int> crashes;
};

caf::behavior retry(caf::stateful_actor<retry_state>* self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](const schedule_retry& r) {
        auto& st = self->state;
        auto delay = std::max<std::int64_t>(0, r.due_ms - st.ctx->now_ms());
        self->delayed_send(st.ctx->scheduler, std::chrono::milliseconds(delay),
                           event_cmd{r.process_id, model::ev_due{r.step_id}, nullptr});
      },
      [=](const process_crashed& c) {
        // Restart from the last snapshot with growing delays; a process that keeps crashing
        // its actor is left stored as it is, to be retried when next touched.
        auto& st = self->state;
        auto n = ++st.crashes[c.process_id];
        if (n > 5) return;
        auto delay = std::chrono::milliseconds(100LL << std::min(n, 6));
        self->delayed_send(st.ctx->scheduler, delay, restart_process{c.process_id});
      },
  };
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& sys, std::shared_ptr<engine_context> ctx) {
  return sys.spawn(scheduler, std::move(ctx));
}

caf::actor spawn_retry(caf::actor_system& sys, std::shared_ptr<engine_context> ctx) {
  return sys.spawn(retry, std::move(ctx));
}

}  // namespace baton::actors
