#include "actors/retry.hpp"

#include <algorithm>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <unordered_map>

#include "actors/context.hpp"
#include "model/backoff.hpp"

namespace baton::actors {

namespace {

/// A process' recent actor crashes.
struct crash_record {
  int count = 0;
  std::int64_t last_ms = 0;
};

/// How long a crash is remembered, how many processes are, and how often one is restarted.
constexpr std::int64_t crash_memory_ms = 10 * 60 * 1000;
constexpr std::size_t crash_records_max = 10'000;
constexpr int restarts_max = 5;
/// 200 ms doubling per crash. No jitter: restarts are few and per process, not a herd.
constexpr model::backoff_policy restart_backoff{model::backoff_kind::exponential, 200, 2, 6400};

struct retry_state {
  static inline const char* name = "baton.retry";
  std::shared_ptr<engine_context> ctx;
  std::unordered_map<std::string, crash_record> crashes;
};

using retry_self = retry_actor::stateful_pointer<retry_state>;

/// Makes room for one more record: forgets what is older than the memory, and when that is
/// not enough (a storm of crashes), the oldest one.
void make_room(retry_state& st, std::int64_t now) {
  if (st.crashes.size() < crash_records_max) return;
  std::erase_if(st.crashes,
                [&](const auto& entry) { return now - entry.second.last_ms > crash_memory_ms; });
  if (st.crashes.size() < crash_records_max) return;
  auto oldest = std::min_element(
      st.crashes.begin(), st.crashes.end(),
      [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
  st.crashes.erase(oldest);
}

void on_crashed(retry_self self, const process_crashed& c) {
  auto& st = self->state;
  auto now = st.ctx->now_ms();
  make_room(st, now);
  auto& record = st.crashes[c.process_id];
  if (now - record.last_ms > crash_memory_ms) record.count = 0;
  record.last_ms = now;
  auto n = ++record.count;
  if (n > restarts_max) return;
  auto delay = std::chrono::milliseconds(model::backoff_ms(restart_backoff, n, 0.0));
  self->delayed_send(st.ctx->scheduler, delay, restart_process{c.process_id});
}

retry_actor::behavior_type retry(retry_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](const schedule_retry& r) {
        auto& st = self->state;
        auto delay = std::max<std::int64_t>(0, r.due_ms - st.ctx->now_ms());
        // Sent by the clock even if this actor is restarted meanwhile.
        self->delayed_send(st.ctx->scheduler, std::chrono::milliseconds(delay),
                           engine_event{r.process_id, model::ev_due{r.step_id}});
      },
      [=](const process_crashed& c) { on_crashed(self, c); },
  };
}

}  // namespace

retry_actor spawn_retry(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx) {
  return parent->spawn<caf::monitored>(retry, std::move(ctx));
}

}  // namespace baton::actors
