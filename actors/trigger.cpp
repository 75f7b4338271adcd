#include "actors/trigger.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "actors/context.hpp"
#include "actors/durable_write.hpp"
#include "actors/fire_batch.hpp"
#include "actors/new_process.hpp"
#include "actors/store_reader.hpp"
#include "model/cluster.hpp"
#include "model/ids.hpp"
#include "model/suggest.hpp"
#include "storage/json_codec.hpp"

namespace baton::actors {

namespace {

/// A schedule found due by a tick: its due entry, and the tick's time to plan with.
struct due_fire {
  std::weak_ptr<model::schedule> schedule;
  std::int64_t due_ms = 0;
  std::int64_t tick_ms = 0;
};

/// The fires of one wake-up, started one by one, that still wait for their process to be
/// stored.
struct fires_answering {
  std::size_t outstanding = 0;
  model::fire_plan plan;
  std::vector<std::int64_t> dropped;  ///< runs dropped to make room, erased with the advance
};

/// Fires written per batch: large enough that a commit's fixed costs vanish, small enough
/// that the next batch is built while this one is written (the in-flight limit allows two).
constexpr std::size_t fires_per_batch = 1024;

/// What a written batch of fires settles once durable.
struct stored_fires {
  std::vector<batched_fire> fires;
  std::vector<batched_schedule> schedules;
};

/// What to do once a write of the trigger's is durable (or failed).
using after_write = std::function<void(const storage::status&)>;

struct trigger_state {
  static inline const char* name = "baton.trigger";
  std::shared_ptr<engine_context> ctx;
  model::id_generator ids{2, static_cast<std::uint32_t>(std::random_device{}())};
  /// Ids of the processes batched fires start: generator 3 keeps them apart from the
  /// scheduler's (1) without sharing a generator across threads.
  model::id_generator process_ids{3, static_cast<std::uint32_t>(std::random_device{}())};
  std::optional<fire_batch> batch;    ///< the fires being gathered, not yet submitted
  std::uint32_t batch_partition = 0;  ///< in a cluster: the partition of the batch's schedules
  /// Schedules restored from disk that have not fired since: their first fire time may have
  /// stored its process before a crash, so a batch looks up its idempotency key first.
  std::unordered_set<std::string> restored;
  /// Shared so that due times hold the schedule itself: looking 100k ids up in a cron second
  /// was a cache miss or two each. A deleted schedule's due entries expire with it.
  std::unordered_map<std::string, std::shared_ptr<model::schedule>> schedules;
  /// May hold stale entries (deleted, paused, rescheduled); checked on pop.
  std::multimap<std::int64_t, std::weak_ptr<model::schedule>> due;
  std::int64_t armed_due = INT64_MAX;
  std::unordered_map<std::string, fires_answering> firing;
  /// Schedules found due by a tick, not yet fired: waiting for room among the starts out.
  std::deque<due_fire> ready;
  /// Start commands sent and not yet answered, plus schedules in batches not yet durable.
  std::size_t starts_in_flight = 0;
  store_reader_actor reader;  ///< reads the previous run of a schedule that skips overlaps
  /// Writes in flight, by token.
  std::unordered_map<std::uint64_t, after_write> writing;
  std::uint64_t token = 0;
};

using trigger_self = trigger_actor::stateful_pointer<trigger_state>;
using schedule_promise = caf::typed_response_promise<schedule_answer>;

schedule_answer error(engine_errc code, std::string message, std::string field = {}) {
  schedule_answer a;
  a.code = code;
  a.message = std::move(message);
  a.field = std::move(field);
  return a;
}

void rearm(trigger_self self) {
  auto& st = self->state;
  if (st.due.empty()) return;
  auto first = st.due.begin()->first;
  if (first >= st.armed_due) return;
  st.armed_due = first;
  auto delay = std::max<std::int64_t>(0, first - st.ctx->now_ms());
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

/// What a schedule's due entry is armed from: its next fire time and status as written,
/// whatever changed since (a stale entry is skipped when it comes due).
struct written_state {
  std::int64_t next_fire_ms = 0;
  model::schedule_status status = model::schedule_status::active;
  explicit written_state(const model::schedule& s)
      : next_fire_ms(s.next_fire_ms), status(s.status) {}
};

/// Arms `s` for its next fire time as `written`.
void arm(trigger_self self, std::weak_ptr<model::schedule> s, written_state written) {
  if (written.status != model::schedule_status::active || written.next_fire_ms == 0) return;
  self->state.due.emplace(written.next_fire_ms, std::move(s));
  rearm(self);
}

/// Commits writes of schedules (and their fires) in `scope`; `then` runs in the actor once
/// they are durable.
void persist(trigger_self self, storage::write_scope scope, storage::batch b, after_write then) {
  auto& st = self->state;
  b.set_scope(scope);
  auto token = ++st.token;
  st.writing.emplace(token, std::move(then));
  submit_durable(st.ctx->store.committer(), caf::actor_cast<trigger_actor>(self), token,
                 std::move(b));
}

void on_written(trigger_self self, const write_done& done) {
  auto& st = self->state;
  auto it = st.writing.find(done.token);
  if (it == st.writing.end()) return;
  auto then = std::move(it->second);
  st.writing.erase(it);
  then(done.written);
}

/// The process of the schedule's latest run that started one; empty when none did.
std::string last_started_run(const model::schedule& s) {
  for (auto it = s.runs.rbegin(); it != s.runs.rend(); ++it) {
    if (!it->process_id.empty()) return it->process_id;
  }
  return {};
}

/// Whether a read process is still running. Unreadable counts as active: a fire that
/// `skip`s while its last run is active must not start a second run on a guess.
bool still_active(const loaded_process& loaded) {
  if (!loaded.read.ok()) return true;
  return loaded.state && !model::is_terminal(loaded.state->status);
}

/// Records a run of a wake-up's fires started one by one.
void record_run(fires_answering& answering, model::schedule& s, model::schedule_run run) {
  if (auto dropped = model::record_run(s, std::move(run))) answering.dropped.push_back(*dropped);
}

/// A fire counts once its process is durably created (the answer to its start), and its lag
/// is measured then: what a client of the schedule can observe.
void count_fire(engine_context& ctx, std::int64_t fire_ms) {
  ++ctx.schedule_fires;
  auto lag = ctx.now_ms() - fire_ms;
  auto max = ctx.schedule_lag_ms_max.load();
  while (lag > max && !ctx.schedule_lag_ms_max.compare_exchange_weak(max, lag)) {
  }
}

void fire_ready(trigger_self self);
void on_fires_stored(trigger_self self, stored_fires& msg, const storage::status& written);
void on_fired(trigger_self self, const std::string& schedule_id, std::int64_t fire_ms,
              const process_answer& answer);

/// Once every fire of a wake-up started one by one is answered: the schedule moves on.
void finish_answered_fires(trigger_self self, const std::string& id) {
  auto& st = self->state;
  auto it = st.firing.find(id);
  if (it == st.firing.end() || it->second.outstanding > 0) return;
  auto answered = std::move(it->second);
  st.firing.erase(it);
  auto sit = st.schedules.find(id);
  if (sit == st.schedules.end()) return;  // deleted meanwhile
  auto& s = *sit->second;
  s.next_fire_ms = answered.plan.next_fire_ms;
  if (s.status == model::schedule_status::active) s.status = answered.plan.status;
  storage::batch b;
  st.ctx->store.put_schedule_advance(b, s, answered.plan.fire_times, answered.dropped);
  persist(self, st.ctx->schedule_scope(s.id), std::move(b),
          [self, handle = std::weak_ptr(sit->second),
           written = written_state(s)](const storage::status&) {
            // Armed even when the write failed: the schedule moves on in memory, and after a
            // restart the stored state plans the same fires again as misfires.
            arm(self, handle, written);
          });
}

/// Submits the fires gathered so far; `on_fires_stored` settles them once durable.
void commit_batch(trigger_self self) {
  auto& st = self->state;
  if (st.batch->empty()) return;
  auto taken = st.batch->take();
  auto stored = std::make_shared<stored_fires>();
  stored->fires = std::move(taken.fires);
  stored->schedules = std::move(taken.schedules);
  // Every schedule of a batch is in one partition (`fire_batched`).
  storage::write_scope scope;
  if (st.ctx->cluster) scope = {st.batch_partition, 0};
  persist(self, scope, std::move(taken.writes), [self, stored](const storage::status& written) {
    on_fires_stored(self, *stored, written);
  });
}

/// The fires of `plan` and the schedule's advance go into the batch together; nothing is
/// counted or armed before the batch is durable.
void fire_batched(trigger_self self, const std::shared_ptr<model::schedule>& s,
                  const model::fire_plan& plan, bool restored, std::int64_t now) {
  auto& st = self->state;
  if (auto* cluster = st.ctx->cluster) {
    // One partition per batch: its write is fenced on that partition's owner.
    auto p = model::partition_of_id(s->id, cluster->partitions());
    if (!st.batch->empty() && p != st.batch_partition) commit_batch(self);
    st.batch_partition = p;
  }
  st.batch->add_fires(s, plan, restored, now);
  ++st.starts_in_flight;
  if (st.batch->fires() >= fires_per_batch) commit_batch(self);
}

void start_fires(trigger_self self, model::schedule& s, bool previous_active);

/// One start command per fire time, answered in `on_fired`: for fires that need a scope slot
/// or a look at the previous run. That look is a read, made by a reader: the schedule waits
/// for it (it counts as firing, so a tick meanwhile passes it over), the trigger does not.
void fire_one_by_one(trigger_self self, model::schedule& s, model::fire_plan plan) {
  auto& st = self->state;
  st.firing[s.id].plan = std::move(plan);
  auto last = s.overlap == model::overlap_policy::skip ? last_started_run(s) : std::string();
  if (last.empty()) return start_fires(self, s, false);
  self->request(st.reader, caf::infinite, load_process{last})
      .then(
          [self, id = s.id](loaded_process& loaded) {
            auto it = self->state.schedules.find(id);
            if (it == self->state.schedules.end()) {  // deleted meanwhile
              self->state.firing.erase(id);
              return;
            }
            start_fires(self, *it->second, still_active(loaded));
          },
          [self, id = s.id](caf::error&) { self->state.firing.erase(id); });
}

void start_fires(trigger_self self, model::schedule& s, bool previous_active) {
  auto& st = self->state;
  auto& answering = st.firing[s.id];
  const auto& plan = answering.plan;
  for (std::size_t i = 0; i < plan.fire_times.size(); ++i) {
    auto fire_ms = plan.fire_times[i];
    if (previous_active) {
      record_run(answering, s, {fire_ms, {}, "skipped: previous run still running"});
      continue;
    }
    ++answering.outstanding;
    ++st.starts_in_flight;
    self->request(st.ctx->scheduler, caf::infinite, start_process{fire_request(s, fire_ms)})
        .then([self, id = s.id, fire_ms](process_answer& a) { on_fired(self, id, fire_ms, a); },
              [self, id = s.id, fire_ms](caf::error&) {
                process_answer gone;
                gone.code = engine_errc::shutting_down;
                gone.message = "the scheduler is gone";
                on_fired(self, id, fire_ms, gone);
              });
    if (!plan.notes[i].empty()) record_run(answering, s, {fire_ms, {}, plan.notes[i]});
  }
  finish_answered_fires(self, s.id);
}

void fire(trigger_self self, const std::shared_ptr<model::schedule>& schedule, std::int64_t now) {
  auto& st = self->state;
  auto& s = *schedule;
  // The emptiness checks spare hashing the id twice per fire in a cron second.
  if (!st.firing.empty() && st.firing.count(s.id)) {
    return;  // the previous wake-up's fires are still being stored
  }
  bool restored = !st.restored.empty() && st.restored.erase(s.id) > 0;
  auto plan = model::plan_fires(s, now);
  if (batchable(s)) return fire_batched(self, schedule, plan, restored, now);
  fire_one_by_one(self, s, std::move(plan));
}

/// Once a batch is durable: its fires count, its processes that still have work get their
/// actors, its schedules are armed for their next fire. If it failed, no fire happened: the
/// runs say why, and the schedules move on as a failed start would.
void on_fires_stored(trigger_self self, stored_fires& msg, const storage::status& written) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  if (!written.ok()) {
    auto why = storage_message(written, "storing schedule fires");
    for (const auto& f : msg.fires) {
      auto s = msg.schedules[f.schedule].schedule.lock();
      if (!f.created || !s) continue;  // no process written, or the schedule deleted meanwhile
      for (auto& run : s->runs) {
        if (run.fire_ms == f.fire_ms && !run.process_id.empty()) {
          run.process_id.clear();
          run.note = "not started: " + why;
        }
      }
    }
  }
  launch_stored launches;
  if (written.ok()) {
    for (auto& f : msg.fires) {
      count_fire(ctx, f.fire_ms);
      if (!f.created) continue;
      count_stored_start(ctx);
      if (f.finished) count_finished(ctx, *f.finished);
      if (f.actor) launches.launches.push_back(std::move(*f.actor));
    }
  }
  if (!launches.launches.empty()) self->send(ctx.scheduler, std::move(launches));
  if (written.ok()) {
    // Straight into the due times: a schedule deleted or paused meanwhile is skipped when
    // it comes due (see fire_ready).
    for (auto& w : msg.schedules) {
      if (w.arm_ms != 0) st.due.emplace(w.arm_ms, std::move(w.schedule));
    }
    rearm(self);
  } else {
    for (const auto& w : msg.schedules) {
      auto s = w.schedule.lock();
      if (!s) continue;  // deleted meanwhile
      // In full: the runs the failed batch dropped to make room are still stored.
      storage::batch b;
      if (auto read = st.ctx->store.put_schedule(b, *s); !read.ok()) {
        (void)storage_message(read, "reading the runs of schedule " + s->id);
        arm(self, w.schedule, written_state(*s));
        continue;
      }
      persist(self, st.ctx->schedule_scope(s->id), std::move(b),
              [self, handle = w.schedule, written = written_state(*s)](const storage::status&) {
                arm(self, handle, written);
              });
    }
  }
  st.starts_in_flight -= std::min(st.starts_in_flight, msg.schedules.size());
  fire_ready(self);
}

/// Fires ready schedules, oldest due first, while fewer than the limit of starts are out.
/// The due check is repeated here: the schedule may have changed while it waited.
void fire_ready(trigger_self self) {
  auto& st = self->state;
  while (!st.ready.empty() && st.starts_in_flight < st.ctx->max_fire_starts_in_flight) {
    auto next = std::move(st.ready.front());
    st.ready.pop_front();
    auto s = next.schedule.lock();
    if (!s || s->next_fire_ms != next.due_ms || s->status != model::schedule_status::active) {
      continue;  // stale: deleted, fired, paused or rescheduled since it was armed
    }
    fire(self, s, next.tick_ms);
  }
  commit_batch(self);
}

void on_tick(trigger_self self) {
  auto& st = self->state;
  st.armed_due = INT64_MAX;
  auto now = st.ctx->now_ms();
  while (!st.due.empty() && st.due.begin()->first <= now) {
    auto node = st.due.extract(st.due.begin());
    st.ready.push_back({std::move(node.mapped()), node.key(), now});
  }
  fire_ready(self);
  rearm(self);
}

void on_fired(trigger_self self, const std::string& schedule_id, std::int64_t fire_ms,
              const process_answer& answer) {
  auto& st = self->state;
  auto it = st.firing.find(schedule_id);
  auto sit = st.schedules.find(schedule_id);
  if (sit != st.schedules.end() && it != st.firing.end()) {
    auto& runs = sit->second->runs;
    // The note recorded at fire time (misfire) is replaced by the run with its process.
    std::string note;
    auto pending = std::find_if(runs.begin(), runs.end(), [&](const model::schedule_run& r) {
      return r.fire_ms == fire_ms && r.process_id.empty();
    });
    if (pending != runs.end()) {
      note = pending->note;
      runs.erase(pending);
    }
    if (answer.code == engine_errc::ok) {
      count_fire(*st.ctx, fire_ms);
      record_run(it->second, *sit->second, {fire_ms, answer.process_id, note});
    } else {
      record_run(it->second, *sit->second, {fire_ms, {}, "not started: " + answer.message});
    }
  }
  if (it != st.firing.end() && it->second.outstanding > 0) --it->second.outstanding;
  if (st.starts_in_flight > 0) --st.starts_in_flight;
  finish_answered_fires(self, schedule_id);
  fire_ready(self);
}

caf::result<schedule_answer> on_create(trigger_self self, schedule_create& cmd) {
  auto& st = self->state;
  auto& s = cmd.schedule;
  if (!st.ctx->definitions.find(s.definition)) {
    return (error(engine_errc::unknown_definition,
                  "unknown definition \"" + s.definition + "\"" +
                      model::did_you_mean(s.definition, st.ctx->definitions.names()),
                  "definition"));
  }
  if (st.ctx->definitions.retirement(s.definition)) {
    return error(engine_errc::conflict,
                 "definition \"" + s.definition + "\" is retired; deploy it again first",
                 "definition");
  }
  auto problems = model::check_schedule(s);
  if (!problems.empty()) {
    auto a = error(engine_errc::invalid_input,
                   problems.front().first + ": " + problems.front().second, problems.front().first);
    a.field_errors = std::move(problems);
    return a;
  }
  auto now = st.ctx->now_ms();
  if (auto* cluster = st.ctx->cluster) {
    // A schedule with a scope lives with its scope (the engine sent it to the scope's owner),
    // one without in a partition of this node's: its owner fires it, and its starts are local.
    auto partition = s.scope.empty()
                         ? cluster->next_owned()
                         : std::optional(model::partition_of_scope(s.scope, cluster->partitions()));
    if (!partition) {
      return error(engine_errc::storage_unavailable,
                   "this node owns no partition at the moment; the schedule was not created. "
                   "Retry later");
    }
    s.id = st.ids.next(now, static_cast<std::uint16_t>(*partition));
  } else {
    s.id = st.ids.next(now);
  }
  s.created_ms = now;
  auto plan = model::plan_new(s, now);
  s.next_fire_ms = plan.next_fire_ms;
  s.status = plan.status;
  auto& kept = st.schedules[s.id] = std::make_shared<model::schedule>(s);
  // Its record alone: a new schedule has no runs, stored or to erase (put_schedule would
  // scan for them on every create).
  storage::batch b;
  st.ctx->store.put_schedule_advance(b, s, {}, {});
  auto answer = self->make_response_promise<schedule_answer>();
  persist(self, st.ctx->schedule_scope(s.id), std::move(b),
          [self, handle = std::weak_ptr(kept), s, answer](const storage::status& e) mutable {
            if (!e.ok()) {
              self->state.schedules.erase(s.id);
              answer.deliver(error(errc_of(e), storage_message(e, "creating schedule " + s.id)));
              return;
            }
            arm(self, handle, written_state(s));
            schedule_answer a;
            a.schedule = s;
            answer.deliver(std::move(a));
          });
  return answer;
}

caf::result<schedule_answer> on_change(trigger_self self, schedule_change& cmd) {
  auto& st = self->state;
  auto it = st.schedules.find(cmd.id);
  if (it == st.schedules.end()) {
    return error(engine_errc::not_found, "unknown schedule \"" + cmd.id + "\"", "id");
  }
  // A change holds in memory from now, so that no fire slips in between it and its write
  // (a run written after the change would carry the old state), and is taken back when it
  // could not be stored: the schedule then goes on as it would after a restart.
  auto failed = [id = cmd.id](const storage::status& e) {
    return error(errc_of(e), storage_message(e, "changing schedule " + id));
  };
  if (cmd.action == schedule_action::remove) {
    storage::batch b;
    if (auto read = st.ctx->store.erase_schedule(b, *it->second); !read.ok()) {
      return failed(read);
    }
    auto kept = std::move(it->second);
    st.schedules.erase(it);
    auto answer = self->make_response_promise<schedule_answer>();
    persist(self, st.ctx->schedule_scope(kept->id), std::move(b),
            [self, kept, answer, failed](const storage::status& e) mutable {
              if (e.ok()) {
                answer.deliver(schedule_answer{});
                return;
              }
              self->state.schedules.emplace(kept->id, kept);
              arm(self, kept, written_state(*kept));
              answer.deliver(failed(e));
            });
    return answer;
  }
  auto& s = *it->second;
  if (s.status == model::schedule_status::complete) {
    return error(engine_errc::conflict, "schedule is COMPLETE");
  }
  auto before = written_state(s);
  if (cmd.action == schedule_action::pause) {
    s.status = model::schedule_status::paused;
  } else {
    s.status = model::schedule_status::active;
    // Fire times that passed while paused are not misfires: plan from now.
    auto now = st.ctx->now_ms();
    if (s.next_fire_ms != 0 && s.next_fire_ms < now) {
      auto next = model::next_cron_fire(s, now);
      s.next_fire_ms = next.value_or(0);
      if (!next) s.status = model::schedule_status::complete;
    }
  }
  storage::batch b;
  st.ctx->store.put_schedule_advance(b, s, {}, {});
  auto copy = s;
  auto answer = self->make_response_promise<schedule_answer>();
  persist(self, st.ctx->schedule_scope(s.id), std::move(b),
          [self, handle = std::weak_ptr(it->second), copy, before, answer,
           failed](const storage::status& e) mutable {
            if (!e.ok()) {
              if (auto kept = handle.lock()) {
                kept->status = before.status;
                kept->next_fire_ms = before.next_fire_ms;
                arm(self, handle, before);
              }
              answer.deliver(failed(e));
              return;
            }
            arm(self, handle, written_state(copy));
            schedule_answer a;
            a.schedule = copy;
            answer.deliver(std::move(a));
          });
  return answer;
}

trigger_actor::behavior_type trigger(trigger_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  self->state.batch.emplace(*self->state.ctx, self->state.process_ids);
  self->state.reader = self->state.ctx->detached_readers
                           ? self->spawn<caf::detached + caf::linked>(store_reader, self->state.ctx)
                           : self->spawn<caf::linked>(store_reader, self->state.ctx);
  return {
      [=](schedule_create& cmd) { return on_create(self, cmd); },
      [=](schedule_change& cmd) { return on_change(self, cmd); },
      [=](schedule_restore& r) {
        // After downtime, the first tick plans what each schedule missed (`plan_fires`): up to
        // 60 s late every missed time fires, later its misfire policy applies once. In a
        // cluster, the schedules of this node's partitions, those taken over included: one
        // already here goes on from memory.
        auto& st = self->state;
        for (auto& s : r.schedules) {
          if (!st.ctx->owns_schedule(s.id) || st.schedules.contains(s.id)) continue;
          auto id = s.id;
          auto& stored = self->state.schedules[id] =
              std::make_shared<model::schedule>(std::move(s));
          self->state.restored.insert(id);
          arm(self, stored, written_state(*stored));
        }
      },
      [=](const write_done& done) { on_written(self, done); },
      [=](tick_atom) { on_tick(self); },
      [=](const partitions_lost& lost) {
        // Their owner fires them now; due entries of the ones let go of expire with them.
        auto& st = self->state;
        const auto n = st.ctx->cluster->partitions();
        std::erase_if(st.schedules, [&](const auto& entry) {
          auto p = model::partition_of_id(entry.first, n);
          return std::find(lost.partitions.begin(), lost.partitions.end(), p) !=
                 lost.partitions.end();
        });
      },
  };
}

}  // namespace

trigger_actor spawn_trigger(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx) {
  // On a thread of its own: the reads a fire batch makes (a restored fire's idempotency key,
  // a schedule's stored runs) wait there, never on a thread the scheduler and the processes
  // share.
  if (ctx->detached_readers) return parent->spawn<caf::monitored + caf::detached>(trigger, ctx);
  return parent->spawn<caf::monitored>(trigger, std::move(ctx));
}

}  // namespace baton::actors
