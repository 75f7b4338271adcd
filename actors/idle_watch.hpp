#pragma once

#include <caf/actor_clock.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "actors/messages.hpp"

namespace baton::actors {

/// The process actors that went idle, oldest first, each due `passivate_after` later. Every
/// entry waits the same time, so the line is sorted by due time: a push at the back and a
/// look at the front do what a CAF timer per idle process did.
///
/// Why not `delayed_send` per process: CAF 0.17 files each one with its clock thread (a
/// lock, a wake-up of that thread and a map node) and holds a strong reference to the
/// receiver until it is due. With the default 30 s every process that ended stayed in
/// memory 30 s longer, and the clock's work was a fifth of the server's CPU per job
/// (`bench/results/jobs.md`). An entry holds no reference to the actor (a weak one would
/// keep its memory as long): the scheduler finds the live actor by process id.
class idle_line {
 public:
  using time_point = caf::actor_clock::time_point;

  struct entry {
    time_point due;
    idle_process process;
  };

  /// Adds `e` at the back; true when no wake-up of the watch is armed, so the caller must
  /// send it `tick_atom`.
  bool add(entry e);

  /// Removes the entries due by `until`. `next` is the due time of the first one left, for
  /// which the watch arms its one wake-up, or none: then the next `add` tells the watch.
  std::vector<entry> take_due(time_point until, std::optional<time_point>& next);

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::deque<entry> line_;
  bool armed_ = false;  ///< a wake-up of the watch is pending, or a `tick_atom` on its way
};

/// Hands the entries that came due to the scheduler (`idle_due`), which sends each process
/// still live `idle_atom` with its generation: the process asks to passivate if it stayed
/// idle since (`maybe_idle` in actors/process.cpp). One delayed message at a time, for the
/// first entry still waiting. Entries due within an eighth of `passivate_after` (at most a
/// second) after a wake-up are taken in it too, so that entries microseconds apart cost a
/// wake-up per that much time, not one each.
using idle_watch_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

struct engine_context;

idle_watch_actor spawn_idle_watch(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
