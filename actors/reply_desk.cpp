#include "actors/reply_desk.hpp"

#include <caf/actor_config.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace baton::actors {

/// The desk's actor: no mailbox, no behaviour. A reply put in its "mailbox" goes straight to
/// the callback filed under the reply's request id; anything else is dropped (nothing else
/// is ever sent to it: no one links to it or monitors it).
class reply_desk::sink final : public caf::monitorable_actor {
 public:
  explicit sink(caf::actor_config& cfg) : caf::monitorable_actor(cfg) {}

  const char* name() const override { return "reply_desk"; }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    if (!what || !what->mid.is_response()) return;
    if (auto deliver = take(what->mid.request_id().integer_value())) {
      auto content = what->move_content_to_message();
      deliver(&content);
    }
  }

  std::uint64_t open(std::int64_t deadline_ms, deliver_fn deliver) {
    std::lock_guard lock(mutex_);
    auto id = next_id_++;
    open_.emplace(id, entry{deadline_ms, std::move(deliver)});
    return id;
  }

  deliver_fn take(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(id);
    if (it == open_.end()) return {};  // given up on already: the answer came too late
    auto deliver = std::move(it->second.deliver);
    open_.erase(it);
    return deliver;
  }

  /// The callbacks of the requests due by `now_ms` (all, if none), taken out of the map:
  /// the caller calls them outside the lock, since a callback may make a new request.
  std::vector<deliver_fn> take_due(const std::int64_t* now_ms) {
    std::vector<deliver_fn> due;
    std::lock_guard lock(mutex_);
    for (auto it = open_.begin(); it != open_.end();) {
      if (now_ms && it->second.deadline_ms > *now_ms) {
        ++it;
        continue;
      }
      due.push_back(std::move(it->second.deliver));
      it = open_.erase(it);
    }
    return due;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return open_.size();
  }

 private:
  struct entry {
    std::int64_t deadline_ms;
    deliver_fn deliver;
  };

  mutable std::mutex mutex_;
  /// Request ids fill the 60 bits CAF leaves them; they never come round again.
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, entry> open_;
};

reply_desk::reply_desk(caf::actor_system& sys) {
  caf::actor_config cfg;
  handle_ =
      caf::make_actor<sink, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg);
  sink_ = static_cast<sink*>(caf::actor_cast<caf::abstract_actor*>(handle_));
}

reply_desk::~reply_desk() { expire_all(); }

void reply_desk::request(const caf::strong_actor_ptr& dest, caf::message content,
                         std::int64_t deadline_ms, deliver_fn deliver) {
  auto id = sink_->open(deadline_ms, std::move(deliver));
  // A request id with the normal category: the receiver answers with its response id, which
  // carries `id` in the same bits. A receiver already gone bounces it as an error reply.
  dest->enqueue(handle_, caf::make_message_id(id), std::move(content), nullptr);
}

void reply_desk::expire(std::int64_t now_ms) {
  for (auto& deliver : sink_->take_due(&now_ms)) deliver(nullptr);
}

void reply_desk::expire_all() {
  for (auto& deliver : sink_->take_due(nullptr)) deliver(nullptr);
}

std::size_t reply_desk::open_requests() const { return sink_->size(); }

namespace {

reply_watch_actor::behavior_type reply_watch(reply_watch_actor::pointer self, reply_desk* desk,
                                             model::clock_ms now) {
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        desk->expire(now());
        self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
      },
  };
}

}  // namespace

reply_watch_actor spawn_reply_watch(caf::actor_system& sys, reply_desk& desk, model::clock_ms now) {
  return sys.spawn(reply_watch, &desk, std::move(now));
}

}  // namespace baton::actors
