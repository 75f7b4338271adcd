#include "actors/scope_queue.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "actors/context.hpp"
#include "actors/durable_write.hpp"
#include "actors/store_reader.hpp"
#include "storage/json_codec.hpp"

namespace baton::actors {

namespace {

struct scope_queue_state {
  static inline const char* name = "baton.scope_queue";
  std::shared_ptr<engine_context> ctx;
  scope_info info;
  /// The settings as last sent to storage: a change made while another is being written
  /// builds on it, so that two quick partial changes both hold.
  scope_info configured;
  std::set<std::string> running;
  std::deque<std::string> queued;
  /// Settings being stored, and who waits for them, by write token.
  struct storing {
    scope_info settings;
    caf::typed_response_promise<scope_answer> answer;
  };
  std::map<std::uint64_t, storing> writing;
  std::uint64_t token = 0;
  /// Reads the scope's settings, so that this mailbox never waits on the disk. One reader
  /// for the queue's life: its answers come in the order they were asked for.
  store_reader_actor reader;
  /// A queue restarted after a failure knows nothing of its processes until the scheduler
  /// sends what is stored (`scope_restore`).
  bool restoring = false;
  /// Settings reads not answered yet: until they are in, the queue does not know its limit.
  int settings_reads = 0;
  /// What comes while the queue is `holding()` waits here, in order.
  std::vector<std::function<void()>> stashed;

  bool holding() const { return restoring || settings_reads > 0; }
};

using scope_self = scope_queue_actor::stateful_pointer<scope_queue_state>;

scope_info snapshot(const scope_queue_state& st) {
  auto out = st.info;
  out.running.assign(st.running.begin(), st.running.end());
  out.queued.assign(st.queued.begin(), st.queued.end());
  return out;
}

void admit_waiting(scope_self self) {
  auto& st = self->state;
  while (!st.info.paused && !st.queued.empty() &&
         static_cast<std::int64_t>(st.running.size()) < st.info.limit) {
    auto id = std::move(st.queued.front());
    st.queued.pop_front();
    st.running.insert(id);
    self->send(st.ctx->scheduler, admit_process{std::move(id)});
  }
}

std::string encode_settings(const scope_info& info) {
  return std::string(1, storage::format_v1) + "{\"limit\":" + std::to_string(info.limit) +
         ",\"rejectWhenBusy\":" + (info.reject_when_busy ? "true" : "false") +
         ",\"paused\":" + (info.paused ? "true" : "false") + "}";
}

/// The scope's stored settings, as a reader read them. A scope whose settings cannot be read
/// keeps the defaults and says so in the log: refusing every start of the scope would be
/// worse, and a later change stores them whole again.
void apply_settings(scope_queue_state& st, const scope_settings_loaded& loaded) {
  if (!loaded.read.ok()) {
    (void)storage_message(loaded.read, "reading the settings of scope " + st.info.name);
    return;
  }
  if (!loaded.found) return;
  auto json = storage::json_of(loaded.stored);
  if (auto v = storage::value_at_pointer(json, "/limit")) st.info.limit = v->integer;
  if (auto v = storage::value_at_pointer(json, "/rejectWhenBusy"))
    st.info.reject_when_busy = v->boolean;
  if (auto v = storage::value_at_pointer(json, "/paused")) st.info.paused = v->boolean;
}

admission reserve(scope_self self, const std::string& id, bool reject_if_busy) {
  auto& st = self->state;
  bool free = !st.info.paused && st.queued.empty() &&
              static_cast<std::int64_t>(st.running.size()) < st.info.limit;
  if (free) {
    st.running.insert(id);
    return admission::admitted;
  }
  if (reject_if_busy || st.info.reject_when_busy) return admission::rejected;
  st.queued.push_back(id);
  return admission::queued;
}

void release(scope_self self, const std::string& id) {
  auto& st = self->state;
  if (!st.running.erase(id)) {
    auto it = std::find(st.queued.begin(), st.queued.end(), id);
    if (it != st.queued.end()) st.queued.erase(it);
  }
  admit_waiting(self);
}

/// Once the queue knows its settings and its processes: admits what it may, then does what
/// waited, in order.
void go_on(scope_self self) {
  auto& st = self->state;
  if (st.holding()) return;
  admit_waiting(self);
  auto stashed = std::move(st.stashed);
  st.stashed.clear();
  for (auto& work : stashed) work();
}

/// Asks the reader for the scope's stored settings; the queue holds its work until they are in.
void read_settings(scope_self self) {
  ++self->state.settings_reads;
  self->request(self->state.reader, caf::infinite, load_scope_settings{self->state.info.name})
      .then(
          [self](scope_settings_loaded& loaded) {
            auto& st = self->state;
            apply_settings(st, loaded);
            st.configured = st.info;
            --st.settings_reads;
            go_on(self);
          },
          [self](caf::error&) {  // the reader went: the engine is stopping
            --self->state.settings_reads;
            go_on(self);
          });
}

void restore(scope_self self, const scope_restore& msg) {
  auto& st = self->state;
  st.running.insert(msg.running.begin(), msg.running.end());
  for (const auto& id : msg.queued) st.queued.push_back(id);
  if (st.restoring) {
    st.restoring = false;
    // Read again: in a cluster, a queue that came up as its partition was taken read its
    // settings before this node had caught up with the previous owner's writes.
    read_settings(self);
  }
  go_on(self);
}

void configure(scope_self self, const scope_configure& c,
               caf::typed_response_promise<scope_answer> answer);

scope_queue_actor::behavior_type scope_queue(scope_self self, std::shared_ptr<engine_context> ctx,
                                             std::string name, store_reader_actor reader,
                                             bool restoring) {
  self->state.ctx = std::move(ctx);
  self->state.info.name = std::move(name);
  self->state.reader = std::move(reader);
  self->state.restoring = restoring;
  read_settings(self);
  return {
      [=](reserve_atom, const std::string& id, bool reject_if_busy) -> caf::result<admission> {
        if (!self->state.holding()) return reserve(self, id, reject_if_busy);
        auto answer = self->make_response_promise<admission>();
        self->state.stashed.push_back(
            [=]() mutable { answer.deliver(reserve(self, id, reject_if_busy)); });
        return answer;
      },
      [=](release_atom, const std::string& id) {
        if (!self->state.holding()) return release(self, id);
        self->state.stashed.push_back([=] { release(self, id); });
      },
      [=](const scope_restore& msg) { restore(self, msg); },
      [=](const scope_query&) -> caf::result<scope_info> {
        if (!self->state.holding()) return snapshot(self->state);
        auto answer = self->make_response_promise<scope_info>();
        self->state.stashed.push_back([=]() mutable { answer.deliver(snapshot(self->state)); });
        return answer;
      },
      [=](scope_configure& c) -> caf::result<scope_answer> {
        auto answer = self->make_response_promise<scope_answer>();
        if (!self->state.holding()) {
          configure(self, c, answer);
        } else {
          self->state.stashed.push_back([=]() mutable { configure(self, c, answer); });
        }
        return answer;
      },
      [=](const write_done& msg) {
        auto& st = self->state;
        auto it = st.writing.find(msg.token);
        if (it == st.writing.end()) return;
        auto [settings, answer] = std::move(it->second);
        st.writing.erase(it);
        if (!msg.written.ok()) {
          st.configured = st.info;
          auto message =
              storage_message(msg.written, "storing the settings of scope " + st.info.name);
          answer.deliver(scope_answer{errc_of(msg.written), std::move(message), {}});
          return;
        }
        st.info.limit = settings.limit;
        st.info.reject_when_busy = settings.reject_when_busy;
        st.info.paused = settings.paused;
        // Admit first, so that the answer shows the queue under the new settings.
        admit_waiting(self);
        answer.deliver(scope_answer{engine_errc::ok, {}, snapshot(st)});
      },
  };
}

/// Stored first and applied once durable: the queue never runs under settings that a crash
/// would take back, nor under ones whose write failed.
void configure(scope_self self, const scope_configure& c,
               caf::typed_response_promise<scope_answer> answer) {
  auto& st = self->state;
  scope_info next = st.configured;
  if (c.settings.limit) next.limit = *c.settings.limit;
  if (c.settings.reject_when_busy) next.reject_when_busy = *c.settings.reject_when_busy;
  if (c.settings.paused) next.paused = *c.settings.paused;
  storage::batch b;
  b.set_scope(st.ctx->scope_scope(st.info.name));
  b.put(storage::cf::scopes, st.info.name, encode_settings(next));
  st.configured = next;
  auto token = ++st.token;
  st.writing.emplace(token, scope_queue_state::storing{next, std::move(answer)});
  submit_durable(st.ctx->store.committer(), caf::actor_cast<scope_queue_actor>(self), token,
                 std::move(b));
}

}  // namespace

scope_queue_actor spawn_scope_queue(scheduler_actor::pointer parent,
                                    std::shared_ptr<engine_context> ctx, std::string name,
                                    store_reader_actor reader, bool restoring) {
  return parent->spawn<caf::linked>(scope_queue, std::move(ctx), std::move(name), std::move(reader),
                                    restoring);
}

}  // namespace baton::actors
