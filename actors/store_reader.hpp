#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>
#include <vector>

#include "actors/messages.hpp"

namespace baton::actors {

struct engine_context;

/// Reads what the scheduler (and a scope queue) needs from RocksDB, on a thread of its own, so that
/// a slow read (a cold block, a busy disk) holds up the one command that needs it and nothing else.
using store_reader_actor =
    caf::typed_actor<caf::replies_to<load_process>::with<loaded_process>,
                     caf::replies_to<find_start>::with<found_start>,
                     caf::replies_to<load_schedules>::with<schedules_loaded>,
                     caf::replies_to<load_scope>::with<scope_loaded>,
                     caf::replies_to<load_scope_settings>::with<scope_settings_loaded>,
                     caf::replies_to<load_job_steps>::with<job_steps_loaded>,
                     caf::replies_to<load_partition>::with<partition_loaded>>;

/// A few readers, asked in turn.
class store_readers {
 public:
  /// Spawns `count` readers linked to `parent`. Detached (a thread each) unless the engine
  /// runs on the test coordinator, whose virtual time needs every actor on its one thread.
  template <class Parent>
  static store_readers spawn(Parent* parent, std::shared_ptr<engine_context> ctx, std::size_t count,
                             bool detached);

  const store_reader_actor& next() {
    const auto& r = readers_[next_];
    next_ = (next_ + 1) % readers_.size();
    return r;
  }

 private:
  std::vector<store_reader_actor> readers_;
  std::size_t next_ = 0;
};

store_reader_actor::behavior_type store_reader(store_reader_actor::pointer self,
                                               std::shared_ptr<engine_context> ctx);

template <class Parent>
store_readers store_readers::spawn(Parent* parent, std::shared_ptr<engine_context> ctx,
                                   std::size_t count, bool detached) {
  store_readers out;
  for (std::size_t i = 0; i < count; ++i) {
    out.readers_.push_back(
        detached ? parent->template spawn<caf::detached + caf::linked>(store_reader, ctx)
                 : parent->template spawn<caf::linked>(store_reader, ctx));
  }
  return out;
}

}  // namespace baton::actors
