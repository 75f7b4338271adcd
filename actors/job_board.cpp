#include "actors/job_board.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <random>
#include <set>
#include <unordered_map>

#include "actors/context.hpp"
#include "model/client.hpp"

namespace baton::actors {

namespace {

using batch_promise = caf::typed_response_promise<job_batch>;

struct board_entry {
  std::string process_id;
  std::string definition;
  model::fx_job job;
  bool offering = false;              ///< a lease is on its way through the process
  std::int64_t waiting_since_ms = 0;  ///< when it became available, for the latency metric
};

/// A long poll waiting for a job of its type.
struct parked_poll {
  std::uint64_t id = 0;
  job_activation request;
  batch_promise answer;
};

struct job_board_state {
  static inline const char* name = "baton.job_board";
  std::shared_ptr<engine_context> ctx;
  std::unordered_map<std::string, board_entry> jobs;  ///< by key (the processStepId)
  /// Per type, the waiting jobs in the order they are offered: oldest step first.
  std::map<std::string, std::set<std::pair<std::int64_t, std::string>>, std::less<>> waiting;
  std::map<std::string, std::deque<parked_poll>, std::less<>> parked;
  std::uint64_t next_poll = 0;
  /// Polls out leasing (not parked) whose wait ended meanwhile: they answer when back.
  std::set<std::uint64_t> in_flight, wait_over;
  /// Types whose parked polls a job woke and that wait out the hold for more (its timer is
  /// armed): jobs arriving meanwhile go out in the same answer, their leases in one commit.
  std::set<std::string, std::less<>> holding;
  std::mt19937_64 rng{std::random_device{}()};
};

using board_self = job_board_actor::stateful_pointer<job_board_state>;

void serve_parked(board_self self, const std::string& type);
void offer(board_self self, const std::string& type);

/// A lease token: 128 random bits. It proves who holds a lease, not who the worker is (the
/// worker authenticated already), so a non-cryptographic generator seeded once does.
std::string new_token(job_board_state& st) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = st.rng();
    for (int i = 0; i < 16; ++i) out[half * 16 + i] = hex[(bits >> (4 * i)) & 0xf];
  }
  return out;
}

/// Keeps the per-type gauges of /metrics in step with one entry's change of status.
void count(job_board_state& st, const std::string& type, std::optional<model::job_status> from,
           std::optional<model::job_status> to) {
  if (from == to) return;
  auto& c = *st.ctx->jobs_counted;
  std::lock_guard lock(c.mutex);
  auto& [waiting, leased] = c.by_type[type];
  auto add = [&](std::optional<model::job_status> s, int d) {
    if (s == model::job_status::waiting) waiting += d;
    if (s == model::job_status::leased) leased += d;
  };
  add(from, -1);
  add(to, +1);
}

void unlist(job_board_state& st, const std::string& key, const board_entry& e) {
  auto it = st.waiting.find(e.job.type);
  if (it == st.waiting.end()) return;
  it->second.erase({e.job.created_ms, key});
  if (it->second.empty()) st.waiting.erase(it);
}

void on_changed(board_self self, job_changed& msg) {
  auto& st = self->state;
  auto key = msg.job.step_id;
  auto it = st.jobs.find(key);
  if (msg.job.lease_expired) ++st.ctx->jobs_counted->lease_expiries;
  if (msg.job.status == model::job_status::gone) {
    if (it == st.jobs.end()) return;
    unlist(st, key, it->second);
    count(st, it->second.job.type, it->second.job.status, std::nullopt);
    st.jobs.erase(it);
    return;
  }
  if (it == st.jobs.end()) {
    it = st.jobs.emplace(key, board_entry{msg.process_id, msg.definition, {}, false, 0}).first;
    it->second.job.status = model::job_status::gone;
  }
  auto& e = it->second;
  unlist(st, key, e);
  // A job keeps its type, but a new entry has none yet: counted out and in by type.
  if (e.job.status != model::job_status::gone) count(st, e.job.type, e.job.status, std::nullopt);
  count(st, msg.job.type, std::nullopt, msg.job.status);
  bool became_waiting = msg.job.status == model::job_status::waiting &&
                        (e.job.status != model::job_status::waiting || e.waiting_since_ms == 0);
  e.job = std::move(msg.job);
  e.process_id = std::move(msg.process_id);
  if (e.job.status != model::job_status::waiting) return;
  if (became_waiting) e.waiting_since_ms = st.ctx->now_ms();
  // While a lease is on its way the process decides; the job is listed again if it fails.
  if (e.offering) return;
  st.waiting[e.job.type].emplace(e.job.created_ms, key);
  offer(self, e.job.type);
}

/// Whether a worker whose client may use `globs` may get a job of `definition`.
bool may_take(const job_activation& request, const std::string& definition) {
  return std::ranges::any_of(request.definitions,
                             [&](const auto& glob) { return model::glob_match(glob, definition); });
}

/// Takes up to `max` waiting jobs of the request's type that its client may see, oldest
/// first, out of the offer.
std::vector<std::string> take(job_board_state& st, const job_activation& request) {
  std::vector<std::string> out;
  auto it = st.waiting.find(request.type);
  if (it == st.waiting.end()) return out;
  auto& queue = it->second;
  bool any = std::ranges::find(request.definitions, "*") != request.definitions.end();
  for (auto at = queue.begin();
       at != queue.end() && static_cast<std::int32_t>(out.size()) < request.max;) {
    auto& entry = st.jobs[at->second];
    if (!any && !may_take(request, entry.definition)) {
      ++at;
      continue;
    }
    entry.offering = true;
    out.push_back(at->second);
    at = queue.erase(at);
  }
  if (queue.empty()) st.waiting.erase(it);
  return out;
}

/// The job as the worker gets it, from its process as the lease left it.
leased_job view_of(const engine_context& ctx, const std::string& key, const process_answer& a) {
  leased_job j;
  j.key = key;
  j.process_id = a.process_id;
  const auto& p = *a.process;
  j.definition = p.definition;
  j.values = p.vals;
  j.token = p.lease.token;
  j.expires_ms = p.lease.expires_ms;
  if (const auto* exec = p.find_execution(key)) {
    j.attempt = exec->attempt;
    auto def = ctx.definitions.find(p.definition, p.version);
    if (const auto* st = def ? def->find_step(exec->step) : nullptr) {
      j.type = model::job_type_of(p, *st);
      for (const auto& decl : st->params)
        j.contract.emplace_back(decl.name, std::string(model::type_name(decl.type)));
    }
  }
  return j;
}

void park(board_self self, parked_poll poll);
void on_wait_over(board_self self, std::uint64_t id);

/// Leases `keys` to the request's worker, each through its process (which writes the lease
/// before it answers), and answers with those that were leased. A batch that came back empty
/// (every step moved on meanwhile) waits again while its poll has time left.
void lease(board_self self, std::vector<std::string> keys, parked_poll poll) {
  struct gather {
    job_batch batch;
    std::size_t outstanding = 0;
    parked_poll poll;
  };
  auto g = std::make_shared<gather>();
  g->outstanding = keys.size();
  auto worker = poll.request.worker;
  auto lease_ms = poll.request.lease_ms;
  g->poll = std::move(poll);
  self->state.in_flight.insert(g->poll.id);
  auto one_in = [self, g]() {
    if (--g->outstanding > 0) return;
    auto& st = self->state;
    st.in_flight.erase(g->poll.id);
    bool over = st.wait_over.erase(g->poll.id) > 0;
    if (g->batch.jobs.empty() && !over) return park(self, std::move(g->poll));
    g->poll.answer.deliver(std::move(g->batch));
  };
  for (auto& key : keys) {
    auto& e = self->state.jobs[key];
    model::ev_job_leased ev{key, new_token(self->state), worker, lease_ms};
    self->request(self->state.ctx->scheduler, caf::infinite,
                  process_command{e.process_id, std::move(ev), engine_errc::conflict})
        .then(
            [self, g, key, one_in](process_answer& a) mutable {
              auto& st = self->state;
              auto it = st.jobs.find(key);
              if (it != st.jobs.end()) it->second.offering = false;
              if (a.code == engine_errc::ok && a.process) {
                g->batch.jobs.push_back(view_of(*st.ctx, key, a));
                auto& c = *st.ctx->jobs_counted;
                ++c.leased;
                if (it != st.jobs.end() && it->second.waiting_since_ms > 0) {
                  auto waited =
                      std::max<std::int64_t>(0, st.ctx->now_ms() - it->second.waiting_since_ms);
                  c.latency_ms_sum += static_cast<std::uint64_t>(waited);
                  if (waited > c.latency_ms_max) c.latency_ms_max = waited;
                  it->second.waiting_since_ms = 0;
                }
              } else if (it != st.jobs.end()) {
                bool passing = a.code == engine_errc::storage_unavailable ||
                               a.code == engine_errc::storage_full ||
                               a.code == engine_errc::timed_out;
                if (passing && it->second.job.status == model::job_status::waiting) {
                  // Offered again: the process is still at it; only the write did not happen.
                  st.waiting[it->second.job.type].emplace(it->second.job.created_ms, key);
                } else if (it->second.job.status == model::job_status::waiting) {
                  // The step moved on (its process tells the board where it went).
                  count(st, it->second.job.type, it->second.job.status, std::nullopt);
                  st.jobs.erase(it);
                }
              }
              one_in();
            },
            [self, key, one_in](caf::error&) mutable {
              auto& st = self->state;
              auto it = st.jobs.find(key);
              if (it != st.jobs.end()) {
                it->second.offering = false;
                if (it->second.job.status == model::job_status::waiting)
                  st.waiting[it->second.job.type].emplace(it->second.job.created_ms, key);
              }
              one_in();
            });
  }
}

/// Keeps the parked-polls gauge of /metrics in step (a few types: summing is cheap).
void count_parked(job_board_state& st) {
  std::int64_t n = 0;
  for (const auto& [type, polls] : st.parked) n += static_cast<std::int64_t>(polls.size());
  st.ctx->jobs_counted->polls_parked = n;
}

/// Parks a poll until a job for it comes; its timer (armed once, in `on_activate`) ends it.
void park(board_self self, parked_poll poll) {
  auto type = poll.request.type;
  self->state.parked[type].push_back(std::move(poll));
  count_parked(self->state);
}

/// Hands waiting jobs of `type` to the polls parked for it, first come first served. A poll
/// whose client may see none of them stays parked, in its place.
void serve_parked(board_self self, const std::string& type) {
  auto& st = self->state;
  auto polls = st.parked.find(type);
  if (polls == st.parked.end()) return;
  std::deque<parked_poll> still;
  while (!polls->second.empty()) {
    auto poll = std::move(polls->second.front());
    polls->second.pop_front();
    auto keys = st.waiting.count(type) ? take(st, poll.request) : std::vector<std::string>{};
    if (keys.empty()) {
      still.push_back(std::move(poll));
    } else {
      lease(self, std::move(keys), std::move(poll));
    }
  }
  // Polls that a lease round sent back parked themselves meanwhile: they go behind.
  for (auto& p : polls->second) still.push_back(std::move(p));
  polls->second = std::move(still);
  if (polls->second.empty()) st.parked.erase(polls);
  count_parked(st);
}

/// Whether the first poll parked for `type` would leave with all it asked for now.
bool first_poll_fills(const job_board_state& st, const std::string& type) {
  auto polls = st.parked.find(type);
  auto jobs = st.waiting.find(type);
  if (polls == st.parked.end() || polls->second.empty() || jobs == st.waiting.end()) return false;
  return jobs->second.size() >= static_cast<std::size_t>(polls->second.front().request.max);
}

/// A job of `type` became waiting. The polls parked for it answer at once when the first of
/// them gets its `max` (a worker asking for one job never waits) or when there is no hold;
/// otherwise after the hold, which starts with the first job: a busy type's jobs then go out
/// in batches, one request and one group commit for many, instead of one job per answer.
/// A hold never outlasts a poll's own wait: `on_wait_over` serves what is waiting.
void offer(board_self self, const std::string& type) {
  auto& st = self->state;
  if (!st.parked.count(type)) return;
  auto hold = st.ctx->settings.engine.job_activation_hold;
  if (hold.count() <= 0 || first_poll_fills(st, type)) return serve_parked(self, type);
  if (st.holding.insert(type).second) self->delayed_send(self, hold, hold_atom::value, type);
}

/// The hold for `type` is over: its parked polls take what came meanwhile.
void on_hold_over(board_self self, const std::string& type) {
  self->state.holding.erase(type);
  serve_parked(self, type);
}

caf::result<job_batch> on_activate(board_self self, activate_jobs& msg) {
  auto& st = self->state;
  auto answer = self->make_response_promise<job_batch>();
  auto wait = std::max<std::int64_t>(0, msg.request.wait_ms);
  parked_poll poll{++st.next_poll, std::move(msg.request), answer};
  auto keys = take(st, poll.request);
  if (!keys.empty()) {
    // Without a wait, a round that leased nothing (every step moved on) answers empty.
    if (wait == 0) st.wait_over.insert(poll.id);
    if (wait > 0)
      self->delayed_send(self, std::chrono::milliseconds(wait), wait_atom::value, poll.id);
    lease(self, std::move(keys), std::move(poll));
  } else if (wait > 0) {
    self->delayed_send(self, std::chrono::milliseconds(wait), wait_atom::value, poll.id);
    park(self, std::move(poll));
  } else {
    answer.deliver(job_batch{});
  }
  return answer;
}

/// What a parked poll does when its wait ends early or on time.
enum class at_end { take_waiting, answer_empty };

/// Ends the wait of poll `id`. Parked, it leaves with the jobs waiting for it (a hold may have
/// kept them) when `then` says so, else with none; out leasing, it answers when back.
void end_wait(board_self self, std::uint64_t id, at_end then) {
  auto& st = self->state;
  for (auto it = st.parked.begin(); it != st.parked.end(); ++it) {
    auto& polls = it->second;
    auto found = std::find_if(polls.begin(), polls.end(), [id](auto& p) { return p.id == id; });
    if (found == polls.end()) continue;
    auto poll = std::move(*found);
    polls.erase(found);
    if (polls.empty()) st.parked.erase(it);
    count_parked(st);
    auto keys = then == at_end::take_waiting ? take(st, poll.request) : std::vector<std::string>{};
    if (keys.empty()) {
      poll.answer.deliver(job_batch{});
      return;
    }
    // Its time is up: a lease round that comes back empty answers instead of parking again.
    st.wait_over.insert(poll.id);
    return lease(self, std::move(keys), std::move(poll));
  }
  if (st.in_flight.count(id)) st.wait_over.insert(id);
}

/// Another node's board answered the worker: its poll parked here answers empty now (one
/// out leasing answers when back, and the asking node lets go of what it leased).
void on_cancel(board_self self, const cancel_activation& msg) {
  auto& st = self->state;
  if (msg.poll_id.empty()) return;
  for (auto& [type, polls] : st.parked) {
    auto found = std::find_if(polls.begin(), polls.end(),
                              [&](const auto& p) { return p.request.poll_id == msg.poll_id; });
    if (found == polls.end()) continue;
    return end_wait(self, found->id, at_end::answer_empty);
  }
}

/// A parked poll's wait ended: it leaves with what a hold kept waiting for it, or nothing.
void on_wait_over(board_self self, std::uint64_t id) { end_wait(self, id, at_end::take_waiting); }

std::vector<job_info> on_list(board_self self, const job_list_query& q) {
  std::vector<job_info> out;
  for (const auto& [key, e] : self->state.jobs) {
    if (e.job.status == model::job_status::gone) continue;
    if (!q.type.empty() && e.job.type != q.type) continue;
    if (q.status && e.job.status != *q.status) continue;
    out.push_back({key, e.job.type, e.process_id, e.job.status, e.job.attempt, e.job.created_ms,
                   e.job.worker, e.job.expires_ms});
  }
  std::sort(out.begin(), out.end(), [](const job_info& a, const job_info& b) {
    return std::tie(a.created_ms, a.key) < std::tie(b.created_ms, b.key);
  });
  return out;
}

job_board_actor::behavior_type job_board(board_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](job_changed& msg) { on_changed(self, msg); },
      [=](activate_jobs& msg) { return on_activate(self, msg); },
      [=](const job_list_query& q) { return on_list(self, q); },
      [=](wait_atom, std::uint64_t id) { on_wait_over(self, id); },
      [=](const cancel_activation& msg) { on_cancel(self, msg); },
      [=](hold_atom, const std::string& type) { on_hold_over(self, type); },
  };
}

}  // namespace

job_board_actor spawn_job_board(caf::actor_system& sys, std::shared_ptr<engine_context> ctx) {
  return sys.spawn(job_board, std::move(ctx));
}

}  // namespace baton::actors
