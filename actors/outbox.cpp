#include "actors/outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cmath>
#include <exception>

#include "actors/definition_registry.hpp"
#include "model/backoff.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"
#include "storage/record_codec.hpp"

namespace baton::actors {

std::chrono::milliseconds callback_backoff(std::chrono::milliseconds first, int attempt,
                                           double spread, std::chrono::milliseconds cap) {
  // The engine's one backoff, spread ±20 % around the doubled wait: `spread` in [0.8, 1.2]
  // is where in that range this one falls.
  const model::backoff_policy policy{
      model::backoff_kind::exponential, first.count(), 2, cap.count(), 0.2,
      model::jitter_kind::around};
  auto unit = std::clamp((spread - 0.8) / 0.4, 0.0, 1.0);
  return std::chrono::milliseconds(
      std::max<std::int64_t>(1, model::backoff_ms(policy, attempt, unit)));
}

namespace {

using outbox_self = outbox_actor::stateful_pointer<outbox_state>;

void send(outbox_self self, const std::string& process_id);
void settle(outbox_self self, const std::string& process_id, const std::string& key, int attempt,
            int status, const std::string& error);

/// The oldest callback of `process_id` may go out: now, or when a slot frees.
void due_now(outbox_self self, const std::string& process_id) {
  auto& st = self->state;
  if (st.in_flight < st.deps.settings.callback_max_in_flight) return send(self, process_id);
  st.waiting_for_slot.push_back(process_id);
}

void enqueue(outbox_self self, std::string key) {
  auto& st = self->state;
  if (!st.known.insert(key).second) return;
  auto process_id = std::string(storage::process_store::process_of_outbox_key(key));
  auto& queue = st.queues[process_id];
  queue.push_back({std::move(key)});
  if (queue.size() == 1) due_now(self, process_id);  // otherwise it waits for the one ahead
}

/// A call came back: its slot goes to the process that waited longest.
void release_slot(outbox_self self) {
  auto& st = self->state;
  --st.in_flight;
  while (!st.waiting_for_slot.empty() && st.in_flight < st.deps.settings.callback_max_in_flight) {
    auto process_id = std::move(st.waiting_for_slot.front());
    st.waiting_for_slot.pop_front();
    if (st.queues.count(process_id)) send(self, process_id);
  }
}

void pop(outbox_self self, const std::string& process_id, bool forget) {
  auto& st = self->state;
  auto& queue = st.queues[process_id];
  if (forget) st.known.erase(queue.front().key);
  queue.pop_front();
  if (!queue.empty()) return due_now(self, process_id);
  st.queues.erase(process_id);
}

/// The oldest callback of `process_id` is done with: erase it, go on with the next.
/// Its key stays known until the erase is durable, so a late signal cannot resend it.
void finish(outbox_self self, const std::string& process_id, bool delivered) {
  auto& st = self->state;
  const auto& front = st.queues[process_id].front();
  ++(delivered ? st.deps.counters->delivered : st.deps.counters->given_up);
  storage::batch b;
  b.set_scope(st.deps.scope_of(process_id));
  st.deps.store->erase_outbox(b, front.key);
  // No secret outlives its last report.
  if (front.ends) st.deps.store->erase_callback(b, process_id);
  auto handle = caf::actor_cast<outbox_actor>(self);
  st.deps.store->committer().submit(std::move(b),
                                    [handle, key = front.key](const storage::status& written) {
                                      if (!written.ok())
                                        spdlog::warn("callback outbox: {}", written.describe());
                                      caf::anon_send(handle, callback_erased{key});
                                    });
  pop(self, process_id, /*forget=*/false);
}

/// Sends the oldest callback of `process_id`.
void send(outbox_self self, const std::string& process_id) {
  auto& st = self->state;
  auto& front = st.queues[process_id].front();
  auto attempt = front.attempt;
  auto key = front.key;
  auto stored_snapshot = st.deps.store->outbox_raw(key);
  auto stored_target = st.deps.store->callback(process_id);
  if (!stored_snapshot.ok() || !stored_target.ok()) {
    // Not readable now is not gone: it counts as a failed try and is tried again later.
    const auto& failed = stored_snapshot.ok() ? stored_target.error() : stored_snapshot.error();
    spdlog::warn("callback {}: cannot read it: {}", key, failed.describe());
    return settle(self, process_id, key, attempt, 0, "the outbox could not be read");
  }
  const auto& snapshot = stored_snapshot.value();
  const auto& target = stored_target.value();
  // Delivered already (a late duplicate signal): drop the key without a word.
  if (!snapshot) return pop(self, process_id, /*forget=*/true);
  auto state = storage::decode_process(*snapshot);
  if (!target || !state) {
    spdlog::warn("callback {}: no target or unreadable snapshot; dropped", key);
    return finish(self, process_id, /*delivered=*/false);
  }
  front.ends = model::is_terminal(state->status);
  outgoing::outgoing_request req;
  req.method = "POST";
  req.url = target->url;
  req.headers = target->headers;
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Idempotency-Key", key.substr(2));
  try {
    // A format this node does not know is sent as the native one, as before formats existed.
    auto format = st.deps.formats.find(target->format);
    if (format == st.deps.formats.end()) format = st.deps.formats.find("native");
    if (format == st.deps.formats.end()) throw std::runtime_error("no \"native\" callback format");
    auto def = st.deps.definitions ? st.deps.definitions->find(state->definition, state->version)
                                   : nullptr;
    req.body = format->second(*state, def.get());
  } catch (const std::exception& e) {  // a renderer must not take the outbox down
    spdlog::warn("callback {}: cannot render ({}); dropped", key, e.what());
    return finish(self, process_id, /*delivered=*/false);
  }
  req.timeout = st.deps.settings.default_timeout;
  ++st.in_flight;
  auto handle = caf::actor_cast<outbox_actor>(self);
  try {
    st.deps.client->call(
        std::move(req), [handle, process_id, key, attempt](outgoing::outgoing_response r) {
          caf::anon_send(handle,
                         callback_answered{process_id, key, attempt, r.status, std::move(r.error)});
        });
  } catch (const std::exception& e) {  // counts as a failed try, not as the outbox's end
    self->send(self, callback_answered{process_id, key, attempt, 0, e.what()});
  }
}

void settle(outbox_self self, const std::string& process_id, const std::string& key, int attempt,
            int status, const std::string& error) {
  auto& st = self->state;
  auto queue = st.queues.find(process_id);
  // Only the entry that was sent may be settled by its answer.
  if (queue == st.queues.end() || queue->second.front().key != key) return;
  if (error.empty() && status >= 200 && status < 300) return finish(self, process_id, true);
  auto why = error.empty() ? "status " + std::to_string(status) : error;
  if (attempt >= static_cast<int>(st.deps.settings.callback_attempts)) {
    spdlog::warn("callback {}: given up after {} tries ({})", key, attempt, why);
    return finish(self, process_id, false);
  }
  queue->second.front().attempt = attempt + 1;
  std::uniform_real_distribution<double> spread(0.8, 1.2);
  auto delay = callback_backoff(st.deps.settings.callback_backoff, attempt, spread(st.jitter));
  spdlog::info("callback {}: try {} failed ({}); again in {} ms", key, attempt, why, delay.count());
  self->delayed_send(self, delay, callback_retry{process_id, key});
}

/// Queues every entry the store holds, in order. Signals before it are dropped: one handled
/// ahead of this scan could put a newer entry of a process before an older one.
void scan(outbox_self self) {
  if (self->state.scanned) return;
  self->state.scanned = true;
  std::vector<std::string> pending;
  auto scanned = self->state.deps.store->for_each_outbox(
      [&](std::string_view key, std::string_view) { pending.emplace_back(key); });
  if (!scanned.ok()) {
    spdlog::error("callback outbox: cannot read it all ({}); the rest goes after a restart",
                  scanned.describe());
  }
  for (auto& key : pending) enqueue(self, std::move(key));
}

}  // namespace

outbox_actor::behavior_type outbox(outbox_self self, outbox_deps deps) {
  self->state.deps = std::move(deps);
  return {
      [self](const outbox_scan&) { scan(self); },
      [self](const callback_due& due) {
        if (self->state.scanned) enqueue(self, due.outbox_key);
      },
      [self](const callback_answered& a) {
        settle(self, a.process_id, a.outbox_key, a.attempt, a.status, a.error);
        release_slot(self);
      },
      [self](const callback_retry& r) {
        auto queue = self->state.queues.find(r.process_id);
        if (queue != self->state.queues.end() && queue->second.front().key == r.outbox_key) {
          due_now(self, r.process_id);
        }
      },
      [self](const callback_erased& e) { self->state.known.erase(e.outbox_key); },
  };
}

}  // namespace baton::actors
