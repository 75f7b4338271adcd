#include "actors/idle_watch.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <utility>

#include "actors/context.hpp"

namespace baton::actors {

bool idle_line::add(entry e) {
  std::lock_guard lock(mutex_);
  line_.push_back(std::move(e));
  if (armed_) return false;
  armed_ = true;
  return true;
}

std::vector<idle_line::entry> idle_line::take_due(time_point until,
                                                  std::optional<time_point>& next) {
  std::vector<entry> due;
  std::lock_guard lock(mutex_);
  while (!line_.empty() && line_.front().due <= until) {
    due.push_back(std::move(line_.front()));
    line_.pop_front();
  }
  armed_ = !line_.empty();
  next.reset();
  if (armed_) next = line_.front().due;
  return due;
}

std::size_t idle_line::size() const {
  std::lock_guard lock(mutex_);
  return line_.size();
}

namespace {

idle_watch_actor::behavior_type idle_watch(idle_watch_actor::pointer self,
                                           std::shared_ptr<engine_context> ctx) {
  auto early =
      std::min<std::chrono::milliseconds>(ctx->passivate_after() / 8, std::chrono::seconds(1));
  return {
      [=](tick_atom) {
        auto now = self->clock().now();
        std::optional<idle_line::time_point> next;
        idle_due due;
        for (auto& e : ctx->idle->take_due(now + early, next))
          due.processes.push_back(std::move(e.process));
        if (!due.processes.empty()) self->send(ctx->scheduler, std::move(due));
        if (next) self->delayed_send(self, *next - now, tick_atom::value);
      },
  };
}

}  // namespace

idle_watch_actor spawn_idle_watch(caf::actor_system& sys, std::shared_ptr<engine_context> ctx) {
  return sys.spawn(idle_watch, std::move(ctx));
}

}  // namespace baton::actors
