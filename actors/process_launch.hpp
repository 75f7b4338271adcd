#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/process.hpp"

namespace baton::actors {

/// How a process actor comes to life: a new process, or one loaded from its snapshot.
struct process_launch {
  model::process_state state;
  bool is_new = false;    ///< not stored yet: the first write creates it
  bool admitted = false;  ///< new: it has its scope slot and starts running at once
  bool reissue = false;   ///< loaded after a restart or crash: re-issue in-flight effects
  /// Stored already by a batch (a schedule's fire) with these effects still to perform.
  std::vector<model::effect> effects;
  std::string idempotency_key;
  std::optional<model::callback_target> callback;  ///< new: stored with the first snapshot
  std::optional<std::int64_t> wait_timeout_ms;     ///< synchronous start
  /// In a cluster: the epoch of its partition when its state was read, which its writes are
  /// fenced on. None: the epoch at the actor's start (a new process has nothing to read).
  std::optional<std::int64_t> epoch;
};

}  // namespace baton::actors
