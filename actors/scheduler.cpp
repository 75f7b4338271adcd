#include "actors/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <iterator>
#include <map>
#include <set>
#include <unordered_map>

#include "actors/context.hpp"
#include "actors/deployer.hpp"
#include "actors/new_process.hpp"
#include "actors/process.hpp"
#include "actors/retry.hpp"
#include "actors/scope_queue.hpp"
#include "actors/store_reader.hpp"
#include "actors/trigger.hpp"
#include "model/ids.hpp"
#include "storage/json_codec.hpp"

namespace baton::actors {

namespace {

struct live_process {
  process_actor handle;
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
  /// Adds `more` (a partition taken in a cluster) to what is left: the re-issues stay in id
  /// order, for `take_reissue`.
  void add(recovered_work more) {
    auto drop_done = [](auto& items, std::size_t& next) {
      items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(next));
      next = 0;
    };
    drop_done(work.admit, next_admit);
    drop_done(work.timers, next_timer);
    drop_done(work.retries, next_retry);
    std::vector<std::pair<std::string, bool>> reissues;
    for (auto i = next_reissue; i < work.reissue.size(); ++i)
      reissues.emplace_back(std::move(work.reissue[i]), reissued[i]);
    for (auto& id : more.reissue) reissues.emplace_back(std::move(id), false);
    std::sort(reissues.begin(), reissues.end());
    work.reissue.clear();
    reissued.clear();
    next_reissue = 0;
    for (auto& [id, done] : reissues) {
      work.reissue.push_back(std::move(id));
      reissued.push_back(done);
    }
    std::move(more.admit.begin(), more.admit.end(), std::back_inserter(work.admit));
    std::move(more.timers.begin(), more.timers.end(), std::back_inserter(work.timers));
    std::move(more.retries.begin(), more.retries.end(), std::back_inserter(work.retries));
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

/// Reads of snapshots and idempotency keys at once: a cold read waits for the disk, so two
/// let another go on meanwhile; more would only contend on this 2-core kind of machine.
constexpr std::size_t store_reader_count = 2;

/// How long work of the engine's own (a due timer, an admission) waits before it is tried
/// again when its process could not be read: the disk may come back, and then it goes on.
constexpr auto unreadable_retry = std::chrono::seconds(1);

using answer_promise = caf::typed_response_promise<process_answer>;

/// Work for a process that has no live actor yet: it waits while a reader reads the snapshot.
struct pending_work {
  std::variant<std::monostate, process_command, complete_step, engine_event> message;
  answer_promise answer;   ///< a client's command: who waits for it
  process_answer unknown;  ///< what that client hears when there is no such process
  /// The engine's own work, sent again after a pause when the snapshot could not be read:
  /// the disk may come back, and then it goes on.
  std::variant<std::monostate, arm_timer, admit_process, restart_process> again;
};

/// A snapshot being read, and the work that waits for it, in arrival order.
struct loading_process {
  std::vector<pending_work> waiting;
  bool reissue = false;  ///< re-issue its in-flight effects once loaded (a restart)
};

/// The system actors the scheduler supervises.
struct system_actors {
  retry_actor retry;
  trigger_actor trigger;
  deployer_actor deployer;
  job_board_actor jobs;  ///< spawned by the engine (workers reach it without the scheduler)
  outbox_actor outbox;   ///< spawned by the engine (processes signal it from their first write)
};

struct scheduler_state {
  static inline const char* name = "baton.scheduler";
  std::shared_ptr<engine_context> ctx;
  system_actors sys;
  model::id_generator ids{1, static_cast<std::uint32_t>(std::random_device{}())};
  std::unordered_map<std::string, live_process> live;
  std::unordered_map<caf::actor_addr, std::string> id_by_addr;
  std::map<std::string, scope_queue_actor, std::less<>> scopes;
  std::multimap<std::int64_t, std::pair<std::string, std::string>> timers;
  std::int64_t armed_due = INT64_MAX;
  /// Duplicates of an idempotent start whose first is in flight, by key.
  std::unordered_map<std::string, std::vector<answer_promise>> idempotent_in_flight;
  std::unordered_map<std::string, loading_process> loading;
  store_readers readers;
  recovery_backlog backlog;
  /// In a cluster: partitions taken and not resumed yet → the epoch they were taken at. Their
  /// scope queues hold every request until they have the scope's processes as stored.
  std::map<std::uint32_t, std::int64_t> resuming;
};

using scheduler_self = scheduler_actor::stateful_pointer<scheduler_state>;

process_answer error_answer(engine_errc code, std::string message, std::string field = {}) {
  process_answer a;
  a.code = code;
  a.message = std::move(message);
  a.field = std::move(field);
  return a;
}

live_process& launch(scheduler_self self, process_launch launch, answer_promise answer = {}) {
  auto& st = self->state;
  auto id = launch.state.id;
  auto handle = spawn_process(self, st.ctx, std::move(launch), std::move(answer));
  st.id_by_addr[handle.address()] = id;
  auto& entry = st.live[id];
  entry = live_process{std::move(handle), 0};
  return entry;
}

live_process* live_of(scheduler_self self, const std::string& id) {
  auto& live = self->state.live;
  auto it = live.find(id);
  return it == live.end() ? nullptr : &it->second;
}

/// An actor for a process read from its snapshot.
live_process& rehydrate(scheduler_self self, model::process_state state, bool reissue,
                        std::int64_t epoch) {
  auto& st = self->state;
  ++st.ctx->rehydrated;
  process_launch l;
  l.state = std::move(state);
  l.epoch = epoch;
  // A command may reach a process before whatever owes it an actor: the recovery backlog
  // after a restart, or the launch of a batched schedule fire. Its call goes out and its
  // timer is armed now. An actor passivated at a timer gets the timer armed again, which is
  // harmless: the second expiry finds the step no longer waiting. A parent waiting for its
  // children owes nothing here: it passivated only once each child's start was answered, so
  // only a restart or a takeover (through the backlog) starts them again.
  auto need = model::recovery_need_of(l.state).kind;
  bool owes_work = need == model::recovery_kind::reissue || need == model::recovery_kind::timer ||
                   need == model::recovery_kind::retry;
  l.reissue = st.backlog.take_reissue(l.state.id) || reissue || owes_work;
  return launch(self, std::move(l));
}

/// Gives `work` to the live actor `p`. A client's command is delegated: the process answers
/// the client itself.
void hand_over(scheduler_self self, live_process& p, pending_work& work) {
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, engine_event>) {
          ++p.sent;
          self->send(p.handle, std::move(m));
        } else if constexpr (!std::is_same_v<T, std::monostate>) {
          ++p.sent;
          work.answer.delegate(p.handle, std::move(m));
        }
      },
      work.message);
}

void on_loaded(scheduler_self self, const std::string& id, loaded_process& loaded);

/// Sends `work` to process `id`: at once when its actor is live, else once a reader has read
/// its snapshot. The scheduler never waits on the disk itself: a slow read holds up the work
/// of that one process, and later work for it queues behind in order.
void route(scheduler_self self, const std::string& id, pending_work work, bool reissue = false) {
  auto& st = self->state;
  if (auto* p = live_of(self, id)) return hand_over(self, *p, work);
  auto [it, first] = st.loading.try_emplace(id);
  it->second.waiting.push_back(std::move(work));
  it->second.reissue |= reissue;
  if (!first) return;
  self->request(st.readers.next(), caf::infinite, load_process{id})
      .then([self, id](loaded_process& loaded) { on_loaded(self, id, loaded); },
            [self, id](caf::error&) {
              loaded_process gone{{storage::storage_errc::shutting_down, "the reader is gone"}, {}};
              on_loaded(self, id, gone);
            });
}

void on_loaded(scheduler_self self, const std::string& id, loaded_process& loaded) {
  auto& st = self->state;
  auto node = st.loading.extract(id);
  if (node.empty()) return;
  auto& waiting = node.mapped().waiting;
  // Launched meanwhile (a batched fire's launch): the live actor is the one, fresher than
  // what was read.
  auto* p = live_of(self, id);
  if (!p && !loaded.read.ok()) {
    auto message = storage_message(loaded.read, "rehydrating process " + id);
    for (auto& w : waiting) {
      if (w.answer.pending()) w.answer.deliver(error_answer(errc_of(loaded.read), message));
      std::visit(
          [&](auto& m) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, std::monostate>) {
              self->delayed_send(self, unreadable_retry, std::move(m));
            }
          },
          w.again);
    }
    return;
  }
  if (!p && !loaded.state) {
    for (auto& w : waiting) {
      if (w.answer.pending()) w.answer.deliver(std::move(w.unknown));
    }
    return;
  }
  if (!p) p = &rehydrate(self, std::move(*loaded.state), node.mapped().reissue, loaded.epoch);
  for (auto& w : waiting) hand_over(self, *p, w);
}

/// Hands a client's command to the process it names, which answers the client itself; a
/// client asking for a process that does not exist hears `unknown`.
template <class Command>
caf::result<process_answer> delegate_command(scheduler_self self, Command&& cmd,
                                             process_answer unknown) {
  if (auto* p = live_of(self, cmd.process_id)) {
    ++p->sent;
    return self->delegate(p->handle, std::forward<Command>(cmd));
  }
  auto answer = self->make_response_promise<process_answer>();
  auto id = cmd.process_id;
  route(self, id, pending_work{std::forward<Command>(cmd), answer, std::move(unknown), {}});
  return answer;
}

bool in_resuming_partition(const scheduler_state& st, std::string_view scope) {
  return !st.resuming.empty() &&
         st.resuming.contains(model::partition_of_scope(scope, st.ctx->cluster->partitions()));
}

scope_queue_actor scope_queue_of(scheduler_self self, const std::string& scope) {
  auto& st = self->state;
  auto it = st.scopes.find(scope);
  if (it != st.scopes.end()) return it->second;
  auto q = spawn_scope_queue(self, st.ctx, scope, st.readers.next(),
                             /*restoring=*/in_resuming_partition(st, scope));
  st.scopes.emplace(scope, q);
  return q;
}

/// A FAILED process of a scope runs again only in a slot of its scope: one is reserved first
/// (refused when the scope is busy, never queued: the client asked for a retry now), and
/// given back when the retry does not happen.
caf::result<process_answer> on_retry_in_scope(scheduler_self self, retry_in_scope& r) {
  auto answer = self->make_response_promise<process_answer>();
  auto queue = scope_queue_of(self, r.scope);
  self->request(queue, caf::infinite, reserve_atom::value, r.process_id, true)
      .then(
          [self, answer, queue, r](admission a) mutable {
            if (a != admission::admitted) {
              answer.deliver(error_answer(
                  engine_errc::scope_busy,
                  "scope \"" + r.scope + "\" is busy: retry when one of its processes ends",
                  "scope"));
              return;
            }
            auto id = r.process_id;
            self->request(
                    caf::actor_cast<scheduler_actor>(self), caf::infinite,
                    process_command{id, model::event{std::move(r.retry)}, engine_errc::conflict})
                .then(
                    [self, answer, queue, id](process_answer done) mutable {
                      if (done.code != engine_errc::ok) self->send(queue, release_atom::value, id);
                      answer.deliver(std::move(done));
                    },
                    [self, answer, queue, id](caf::error&) mutable {
                      self->send(queue, release_atom::value, id);
                      answer.deliver(error_answer(engine_errc::shutting_down, "shutting down"));
                    });
          },
          [answer](caf::error&) mutable {
            answer.deliver(error_answer(engine_errc::shutting_down, "scope queue is gone"));
          });
  return answer;
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
    route(self, process_id,
          {engine_event{process_id, model::ev_due{step_id}},
           {},
           {},
           arm_timer{process_id, step_id, now}});
  }
  if (!st.timers.empty() && st.timers.begin()->first <= now) {
    st.armed_due = now;
    self->send(self, tick_atom::value);
    return;
  }
  rearm(self);
}

void admit(scheduler_self self, const std::string& id) {
  route(self, id, {engine_event{id, model::ev_admitted{}}, {}, {}, admit_process{id}});
}

/// An actor for `id` that re-issues its in-flight effects (after a crash or a restart).
void restart(scheduler_self self, const std::string& id) {
  route(self, id, {std::monostate{}, {}, {}, restart_process{id}}, true);
}

/// One chunk of the recovery backlog: admissions first (they were waiting longest), then
/// timers, retries and calls to re-issue. @returns false when the backlog is empty.
bool resume_chunk_of_backlog(scheduler_self self) {
  auto& st = self->state;
  auto& b = st.backlog;
  auto& w = b.work;
  std::size_t budget = resume_chunk;
  for (; budget > 0 && b.next_admit < w.admit.size(); --budget, ++b.next_admit) {
    admit(self, w.admit[b.next_admit]);
  }
  bool armed = false;
  for (; budget > 0 && b.next_timer < w.timers.size(); --budget, ++b.next_timer) {
    auto& t = w.timers[b.next_timer];
    st.timers.emplace(t.due_ms, std::make_pair(std::move(t.process_id), std::move(t.step_id)));
    armed = true;
  }
  if (armed) rearm(self);
  for (; budget > 0 && b.next_retry < w.retries.size(); --budget, ++b.next_retry) {
    self->send(st.sys.retry, std::move(w.retries[b.next_retry]));
  }
  for (; budget > 0 && b.next_reissue < w.reissue.size(); --budget, ++b.next_reissue) {
    if (b.reissued[b.next_reissue]) continue;  // a command loaded it first
    b.reissued[b.next_reissue] = true;
    restart(self, w.reissue[b.next_reissue]);
  }
  if (!b.done()) return true;
  b = recovery_backlog{};  // give the memory back
  return false;
}

/// Answers a start that did not reach a process actor (refused, or replayed from the key's
/// first start), and the duplicates that waited for it when it was idempotent.
void answer_start(scheduler_self self, answer_promise& answer, const std::string& key,
                  process_answer a) {
  if (!key.empty()) self->send(self, start_answered{key, a});
  answer.deliver(std::move(a));
}

/// The id of a new process. In a cluster it carries the process' partition: its scope's, or
/// for a process without one, one this node owns (so that this node can start it at once).
std::optional<std::string> new_process_id(scheduler_state& st, const start_request& req,
                                          std::int64_t now) {
  // A child's id is its parent's id and a number: it lives in its parent's partition.
  if (!req.process_id.empty()) return req.process_id;
  auto* cluster = st.ctx->cluster;
  if (!cluster) return st.ids.next(now);
  auto partition = req.scope.empty()
                       ? cluster->next_owned()
                       : std::optional(model::partition_of_scope(req.scope, cluster->partitions()));
  if (!partition) return std::nullopt;
  return st.ids.next(now, static_cast<std::uint16_t>(*partition));
}

void start_new(scheduler_self self, start_request& req, answer_promise answer) {
  auto& st = self->state;
  auto now = st.ctx->now_ms();
  auto id = new_process_id(st, req, now);
  if (!id) {
    return answer_start(self, answer, req.idempotency_key,
                        error_answer(engine_errc::storage_unavailable,
                                     "this node owns no partition at the moment; the request was "
                                     "not acknowledged. Retry later"));
  }
  auto prepared = prepare_launch(*st.ctx, req, std::move(*id), now);
  if (auto* refused = std::get_if<process_answer>(&prepared)) {
    return answer_start(self, answer, req.idempotency_key, std::move(*refused));
  }
  auto& l = std::get<process_launch>(prepared);
  if (req.scope.empty()) {
    l.admitted = true;
    launch(self, std::move(l), std::move(answer));
    return;
  }
  auto pending = std::make_shared<process_launch>(std::move(l));
  self->request(scope_queue_of(self, req.scope), caf::infinite, reserve_atom::value,
                pending->state.id, req.reject_if_busy)
      .then(
          [=](admission a) mutable {
            if (a == admission::rejected) {
              return answer_start(
                  self, answer, pending->idempotency_key,
                  error_answer(engine_errc::scope_busy,
                               "scope \"" + pending->state.scope + "\" is busy", "scope"));
            }
            pending->admitted = a == admission::admitted;
            launch(self, std::move(*pending), answer);
          },
          [=](caf::error&) mutable {
            answer_start(self, answer, pending->idempotency_key,
                         error_answer(engine_errc::shutting_down, "scope queue is gone"));
          });
}

/// Idempotent start: a key in flight waits for the first; the first asks a reader whether
/// the key is stored (then its process is the answer) before it starts anything.
caf::result<process_answer> on_start(scheduler_self self, start_process& cmd) {
  auto& st = self->state;
  auto answer = self->make_response_promise<process_answer>();
  auto key = cmd.request.idempotency_key;
  if (key.empty()) {
    start_new(self, cmd.request, answer);
    return answer;
  }
  auto [it, first] = st.idempotent_in_flight.try_emplace(key);
  if (!first) {
    it->second.push_back(answer);
    return answer;
  }
  self->request(st.readers.next(), caf::infinite, find_start{key})
      .then(
          [=, req = std::move(cmd.request)](found_start& found) mutable {
            if (!found.read.ok()) {
              auto message = storage_message(found.read, "reading idempotency key");
              return answer_start(self, answer, key,
                                  error_answer(errc_of(found.read), std::move(message)));
            }
            if (found.answer) {
              ++self->state.ctx->starts_replayed;
              return answer_start(self, answer, key, std::move(*found.answer));
            }
            start_new(self, req, answer);
          },
          [=](caf::error&) mutable {
            answer_start(self, answer, key,
                         error_answer(engine_errc::shutting_down, "the reader is gone"));
          });
  return answer;
}

void on_start_answered(scheduler_self self, const start_answered& msg) {
  auto& st = self->state;
  auto it = st.idempotent_in_flight.find(msg.idempotency_key);
  if (it == st.idempotent_in_flight.end()) return;
  for (auto& waiting : it->second) {
    ++st.ctx->starts_replayed;
    auto a = msg.answer;
    a.replayed = true;
    waiting.deliver(std::move(a));
  }
  st.idempotent_in_flight.erase(it);
}

/// Names the system actors have in the actor system's registry.
const auto retry_name = caf::atom("retry");
const auto trigger_name = caf::atom("trigger");
const auto jobs_name = caf::atom("jobs");
const auto deployer_name = caf::atom("deployer");
const auto outbox_name = caf::atom("outbox");

template <class Handle>
void name(scheduler_self self, caf::atom_value key, const Handle& h) {
  auto& registry = self->system().registry();
  registry.erase(key);  // `put` keeps an existing entry
  registry.put(key, caf::actor_cast<caf::strong_actor_ptr>(h));
}

/// Gives a restarted trigger the schedules as stored; tried again while they cannot be read.
void reload_schedules(scheduler_self self) {
  auto& st = self->state;
  self->request(st.readers.next(), caf::infinite, load_schedules{})
      .then(
          [self](schedules_loaded& loaded) {
            if (!loaded.read.ok()) {
              (void)storage_message(loaded.read, "reading the schedules for the trigger");
              self->delayed_send(self, unreadable_retry, reload_atom::value);
              return;
            }
            self->send(self->state.sys.trigger, schedule_restore{std::move(loaded.schedules)});
          },
          [](caf::error&) {});  // the reader goes only with the scheduler
}

/// Gives a restarted scope queue its processes as stored; tried again while they cannot be
/// read.
void reload_scope(scheduler_self self, const std::string& scope) {
  auto& st = self->state;
  self->request(st.readers.next(), caf::infinite, load_scope{scope})
      .then(
          [self, scope](scope_loaded& loaded) {
            if (!loaded.read.ok()) {
              (void)storage_message(loaded.read, "reading the processes of scope " + scope);
              self->delayed_send(self, unreadable_retry, load_scope{scope});
              return;
            }
            auto it = self->state.scopes.find(scope);
            if (it != self->state.scopes.end()) self->send(it->second, std::move(loaded.restore));
          },
          [](caf::error&) {});  // the reader goes only with the scheduler
}

/// A scope queue (linked to the scheduler) ended with an error: a new one takes its place and
/// holds every request until it has the scope's processes as stored. Reservations it had
/// granted to processes not yet stored are not known to the new one.
/// @returns false when `source` is not a scope queue.
bool on_scope_queue_down(scheduler_self self, const caf::exit_msg& msg) {
  auto& st = self->state;
  auto it = std::find_if(st.scopes.begin(), st.scopes.end(),
                         [&](const auto& entry) { return entry.second.address() == msg.source; });
  if (it == st.scopes.end()) return false;
  spdlog::error("the queue of scope {} failed ({}); restarting it", it->first,
                caf::to_string(msg.reason));
  it->second = spawn_scope_queue(self, st.ctx, it->first, st.readers.next(), /*restoring=*/true);
  reload_scope(self, it->first);
  return true;
}

void add_to_backlog(scheduler_self self, recovered_work work) {
  for (auto& id : work.orphans) {
    route(self, id,
          {engine_event{id, model::ev_cancel{"its parent process has ended"}}, {}, {}, {}});
  }
  work.orphans.clear();
  auto& b = self->state.backlog;
  bool idle = b.done();
  b.add(std::move(work));
  if (idle && !b.done()) self->send(self, resume_atom::value);
}

/// Lets go of partition `p`'s scope queues: what they hold in memory belongs to an ownership
/// that ended. Unlinked first, so that their exit is not taken for a failure.
void drop_scope_queues(scheduler_self self, std::uint32_t p) {
  auto& st = self->state;
  const auto n = st.ctx->cluster->partitions();
  for (auto it = st.scopes.begin(); it != st.scopes.end();) {
    if (model::partition_of_scope(it->first, n) != p) {
      ++it;
      continue;
    }
    self->unlink_from(it->second.address());
    self->send_exit(it->second, caf::exit_reason::user_shutdown);
    it = st.scopes.erase(it);
  }
}

/// In a cluster: a partition taken is resumed as recovery resumes a node's own on start (its
/// scope queues, timers, retries, calls in flight, admissions), once this node's store holds
/// what the previous owner wrote; a partition lost is let go of. Process actors of a lost
/// partition may stay: their writes are fenced on the epoch they loaded under, and the first
/// one refused sends them away.
void on_ownership_changed(scheduler_self self, const ownership_changed& msg) {
  auto& st = self->state;
  const auto n = st.ctx->cluster->partitions();
  partitions_lost lost;
  for (const auto& change : msg.changes) {
    const auto p = change.partition;
    drop_scope_queues(self, p);
    st.resuming.erase(p);
    if (!change.epoch) {
      std::erase_if(st.timers,
                    [&](const auto& t) { return model::partition_of_id(t.second.first, n) == p; });
      lost.partitions.push_back(p);
      continue;
    }
    st.resuming[p] = *change.epoch;
    self->send(self, load_partition{p, *change.epoch});
  }
  if (!lost.partitions.empty()) self->send(st.sys.trigger, std::move(lost));
}

void on_partition_loaded(scheduler_self self, partition_loaded& loaded) {
  auto& st = self->state;
  const auto p = loaded.partition;
  auto it = st.resuming.find(p);
  if (it == st.resuming.end() || it->second != loaded.epoch) return;  // lost meanwhile
  if (!loaded.read.ok()) {
    (void)storage_message(loaded.read, "resuming partition " + std::to_string(p));
    self->delayed_send(self, unreadable_retry, load_partition{p, loaded.epoch});
    return;
  }
  st.resuming.erase(it);
  st.ctx->active += loaded.active;
  std::set<std::string, std::less<>> restored;
  for (auto& r : loaded.scopes) {
    restored.insert(r.scope);
    auto q = scope_queue_of(self, r.scope);
    self->send(q, std::move(r));
  }
  // Queues asked for meanwhile, of scopes with nothing stored: they run from now on.
  const auto n = st.ctx->cluster->partitions();
  for (const auto& [name, q] : st.scopes) {
    if (model::partition_of_scope(name, n) == p && !restored.contains(name))
      self->send(q, scope_restore{name, {}, {}});
  }
  spdlog::info("cluster: resuming partition {} (epoch {}): {} processes not ended", p, loaded.epoch,
               loaded.active);
  add_to_backlog(self, std::move(loaded.work));
  // Its schedules, as the previous owner left them: the trigger takes those it lacks.
  reload_schedules(self);
}

/// Asks a reader for partition `p` taken at `epoch`, unless it was lost or taken again since.
void load_partition_of(scheduler_self self, const load_partition& q) {
  auto& st = self->state;
  auto it = st.resuming.find(q.partition);
  if (it == st.resuming.end() || it->second != q.epoch) return;
  self->request(st.readers.next(), caf::infinite, q)
      .then([self](partition_loaded& loaded) { on_partition_loaded(self, loaded); },
            [](caf::error&) {});  // the reader goes only with the scheduler
}

void spawn_system_actors(scheduler_self self) {
  auto& st = self->state;
  st.sys.retry = spawn_retry(self, st.ctx);
  st.sys.trigger = spawn_trigger(self, st.ctx);
  st.sys.deployer = spawn_deployer(self, st.ctx);
  name(self, retry_name, st.sys.retry);
  name(self, trigger_name, st.sys.trigger);
  name(self, deployer_name, st.sys.deployer);
  st.sys.jobs = st.ctx->job_board();
  if (st.sys.jobs) {
    self->monitor(st.sys.jobs);
    name(self, jobs_name, st.sys.jobs);
  }
  st.sys.outbox = st.ctx->outbox();
  if (st.sys.outbox) {
    self->monitor(st.sys.outbox);
    name(self, outbox_name, st.sys.outbox);
  }
}

/// A restarted job board knows no job: every process of this node at a job step tells it
/// again, those in memory at once, the others loaded from their snapshots as recovery loads
/// them. Tried again while the index cannot be read.
void reannounce_jobs(scheduler_self self) {
  auto& st = self->state;
  self->request(st.readers.next(), caf::infinite, load_job_steps{})
      .then(
          [self](job_steps_loaded& loaded) {
            if (!loaded.read.ok()) {
              (void)storage_message(loaded.read, "reading the job steps for the job board");
              self->delayed_send(self, unreadable_retry, load_job_steps{});
              return;
            }
            for (const auto& id : loaded.process_ids) {
              if (auto* p = live_of(self, id)) {
                self->send(p->handle, announce_atom::value);
              } else {
                restart(self, id);
              }
            }
          },
          [](caf::error&) {});  // the reader goes only with the scheduler
}

/// Whether an actor the engine spawned went down because the engine ends it as it stops
/// (maybe before the scheduler): not a failure.
bool ended_by_engine(const caf::down_msg& msg) {
  return msg.reason == caf::exit_reason::user_shutdown || msg.reason == caf::exit_reason::kill;
}

/// A system actor went down. Unless the engine is stopping, it failed: a new one takes its
/// place, from what is stored. Work it held in memory is lost: a deploy or schedule change
/// in flight gets no answer (its client hears 503 at the request timeout), a retry it was
/// timing is sent anyway (the clock holds it), and a crash count starts again.
/// @returns false when `source` is not a system actor.
bool on_system_down(scheduler_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto failed = [&](const char* what) {
    spdlog::error("the {} actor failed ({}); restarting it", what, caf::to_string(msg.reason));
  };
  if (msg.source == st.sys.retry.address()) {
    failed("retry");
    st.sys.retry = spawn_retry(self, st.ctx);
    name(self, retry_name, st.sys.retry);
  } else if (msg.source == st.sys.trigger.address()) {
    failed("trigger");
    st.sys.trigger = spawn_trigger(self, st.ctx);
    name(self, trigger_name, st.sys.trigger);
    reload_schedules(self);
  } else if (msg.source == st.sys.deployer.address()) {
    failed("deployer");
    st.sys.deployer = spawn_deployer(self, st.ctx);
    name(self, deployer_name, st.sys.deployer);
  } else if (st.sys.outbox && msg.source == st.sys.outbox.address()) {
    if (ended_by_engine(msg)) return true;
    failed("outbox");
    // The new outbox finds every entry still owed in the store. A callback that was out
    // goes again (at least once: receivers see its Idempotency-Key twice).
    st.sys.outbox = st.ctx->start_outbox();
    self->monitor(st.sys.outbox);
    name(self, outbox_name, st.sys.outbox);
  } else if (st.sys.jobs && msg.source == st.sys.jobs.address()) {
    if (ended_by_engine(msg)) return true;
    failed("job board");
    // Parked long polls went with it: their workers hear 503 at the request timeout, or
    // an error at once, and poll again.
    {
      // The new board counts every job again as it hears of it.
      auto& counted = *st.ctx->jobs_counted;
      std::lock_guard lock(counted.mutex);
      counted.by_type.clear();
      counted.polls_parked = 0;
    }
    st.sys.jobs = spawn_job_board(self->system(), st.ctx);
    self->monitor(st.sys.jobs);
    st.ctx->set_job_board(st.sys.jobs);
    name(self, jobs_name, st.sys.jobs);
    reannounce_jobs(self);
  } else {
    return false;
  }
  return true;
}

void on_process_down(scheduler_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (on_system_down(self, msg)) return;
  auto it = st.id_by_addr.find(msg.source);
  if (it == st.id_by_addr.end()) return;
  auto id = std::move(it->second);
  st.id_by_addr.erase(it);
  if (auto live = st.live.find(id);
      live != st.live.end() && live->second.handle.address() == msg.source) {
    st.live.erase(live);
  }
  bool crashed = msg.reason && msg.reason != caf::exit_reason::normal;
  if (crashed) self->send(st.sys.retry, process_crashed{id});
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
  self->demonitor(handle.address());
  self->send(handle, passivate_atom::value);
}

/// Tells each process of `due` whose actor still runs that its idle time passed.
void on_idle_due(scheduler_self self, const idle_due& due) {
  auto& st = self->state;
  for (const auto& p : due.processes) {
    auto it = st.live.find(p.process_id);
    if (it == st.live.end() || it->second.handle.id() != p.actor) continue;
    self->send(it->second.handle, idle_atom::value, p.generation);
  }
}

/// Every scope's state, gathered from the queues.
caf::result<std::vector<scope_info>> on_list_scopes(scheduler_self self) {
  auto& st = self->state;
  if (st.scopes.empty()) return std::vector<scope_info>{};
  struct gather {
    std::vector<scope_info> items;
    std::size_t outstanding;
    caf::typed_response_promise<std::vector<scope_info>> answer;
  };
  auto g = std::make_shared<gather>();
  g->outstanding = st.scopes.size();
  g->answer = self->make_response_promise<std::vector<scope_info>>();
  // The replies come back into this actor one by one: no lock needed.
  auto one_in = [g] {
    if (--g->outstanding == 0) g->answer.deliver(std::move(g->items));
  };
  for (auto& [name, queue] : st.scopes) {
    self->request(queue, caf::infinite, scope_query{name})
        .then(
            [g, one_in](scope_info& info) {
              g->items.push_back(std::move(info));
              one_in();
            },
            [one_in](caf::error&) { one_in(); });
  }
  return g->answer;
}

scheduler_actor::behavior_type scheduler(scheduler_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  self->state.readers = store_readers::spawn(self, self->state.ctx, store_reader_count,
                                             self->state.ctx->detached_readers);
  spawn_system_actors(self);
  // Scope queues are linked to the scheduler, so a shutdown takes them along. Processes
  // are monitored instead (see spawn_process) and told to exit here.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown || msg.reason == caf::exit_reason::kill) {
      auto& st = self->state;
      for (auto& [id, process] : st.live) self->send_exit(process.handle, msg.reason);
      self->send_exit(st.sys.retry, msg.reason);
      self->send_exit(st.sys.trigger, msg.reason);
      self->send_exit(st.sys.deployer, msg.reason);
      auto& registry = self->system().registry();
      for (auto key : {retry_name, trigger_name, deployer_name, jobs_name}) registry.erase(key);
      self->quit(msg.reason);
      return;
    }
    if (msg.reason) on_scope_queue_down(self, msg);
  });
  // A process that dies of an error is restarted from its snapshot by the retry actor.
  self->set_down_handler([=](caf::down_msg& msg) { on_process_down(self, msg); });
  return {
      [=](start_process& cmd) { return on_start(self, cmd); },
      [=](process_command& cmd) {
        auto unknown =
            error_answer(engine_errc::not_found, "unknown process \"" + cmd.process_id + "\"");
        return delegate_command(self, std::move(cmd), std::move(unknown));
      },
      [=](complete_step& cmd) {
        auto unknown =
            error_answer(engine_errc::not_found, "unknown processStepId", "processStepId");
        return delegate_command(self, std::move(cmd), std::move(unknown));
      },
      [=](engine_event& ev) {
        auto id = ev.process_id;
        route(self, id, {std::move(ev), {}, {}, {}});
      },
      [=](const start_answered& msg) { on_start_answered(self, msg); },
      [=](const admit_process& cmd) { admit(self, cmd.process_id); },
      [=](const arm_timer& t) {
        self->state.timers.emplace(t.due_ms, std::make_pair(t.process_id, t.step_id));
        rearm(self);
      },
      [=](const disarm_timer& t) {
        // An armed wake-up that stays would load a finished process from disk only to be
        // rejected: a job completed under a one-minute lease cost one read a minute later.
        auto [first, last] = self->state.timers.equal_range(t.due_ms);
        for (auto it = first; it != last; ++it) {
          if (it->second.first == t.process_id && it->second.second == t.step_id) {
            self->state.timers.erase(it);
            break;
          }
        }
      },
      [=](tick_atom) { on_tick(self); },
      [=](const process_finished& f) {
        if (!f.scope.empty())
          self->send(scope_queue_of(self, f.scope), release_atom::value, f.process_id);
      },
      [=](const passivate_request& r) { on_passivate_request(self, r); },
      [=](const idle_due& due) { on_idle_due(self, due); },
      [=](const restart_process& r) { restart(self, r.process_id); },
      [=](launch_stored& m) {
        // Only a command that found the process on disk first (between its batch becoming
        // durable and this message) has an actor for it already: that one stays, and
        // `find_or_rehydrate` gave it this work.
        for (auto& l : m.launches) {
          if (!self->state.live.count(l.state.id)) launch(self, std::move(l));
        }
      },
      [=](recovered_work& w) { add_to_backlog(self, std::move(w)); },
      [=](const ownership_changed& msg) { on_ownership_changed(self, msg); },
      [=](const load_partition& q) { load_partition_of(self, q); },
      [=](const load_job_steps&) { reannounce_jobs(self); },
      [=](retry_in_scope& r) { return on_retry_in_scope(self, r); },
      [=](resume_atom) {
        // Back of the mailbox after each chunk: commands that came meanwhile go first.
        if (resume_chunk_of_backlog(self)) self->send(self, resume_atom::value);
      },
      [=](scope_restore& r) { self->send(scope_queue_of(self, r.scope), std::move(r)); },
      [=](scope_query& q) { return self->delegate(scope_queue_of(self, q.scope), std::move(q)); },
      [=](scope_configure& c) {
        return self->delegate(scope_queue_of(self, c.scope), std::move(c));
      },
      [=](const scope_list_query&) { return on_list_scopes(self); },
      [=](schedule_retry& r) { self->send(self->state.sys.retry, std::move(r)); },
      [=](schedule_create& c) { return self->delegate(self->state.sys.trigger, std::move(c)); },
      [=](schedule_change& c) { return self->delegate(self->state.sys.trigger, std::move(c)); },
      [=](schedule_restore& r) { self->send(self->state.sys.trigger, std::move(r)); },
      [=](deploy_definition& d) { return self->delegate(self->state.sys.deployer, std::move(d)); },
      [=](retire_definition& r) { return self->delegate(self->state.sys.deployer, std::move(r)); },
      [=](reload_atom) { reload_schedules(self); },
      [=](const load_scope& q) { reload_scope(self, q.scope); },
  };
}

}  // namespace

scheduler_actor spawn_scheduler(caf::actor_system& sys, std::shared_ptr<engine_context> ctx) {
  return sys.spawn(scheduler, std::move(ctx));
}

}  // namespace baton::actors
