#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/engine.hpp"
#include "model/process.hpp"

namespace baton::actors {

struct engine_context;

/// How a process actor comes to life.
struct process_launch {
  model::process_state state;
  bool is_new = false;    ///< not stored yet: the first write creates it
  bool admitted = false;  ///< new: it has its scope slot and starts running at once
  bool reissue = false;   ///< loaded after a restart or crash: re-issue in-flight effects
  /// Stored already by a batch (a schedule's fire) with these effects still to perform.
  std::vector<model::effect> effects;
  std::string idempotency_key;
  std::optional<model::callback_target> callback;  ///< new: stored with the first snapshot
  std::optional<std::int64_t> wait_timeout_ms;  ///< synchronous start
  answer_callback done;   ///< new: answered once created (or once ended, when waiting)
};

/// One live process: applies events through the pure state machine, persists the snapshot
/// and history in one batch, and only then performs the effects and answers.
///
///   spawn ──► [persist] ──► idle ◄──────────────┐
///                             │ event / complete │ answered
///                             ▼                  │
///                          writing ──persisted──►┘   (events arriving meanwhile queue up)
///   idle for passivate_after, or terminal ──► passivate_request ──ok──► quit
/// Spawns the actor monitored by `parent` (the scheduler): a link would put an entry per
/// live process into the parent's attachables, which every exit searches one by one.
caf::actor spawn_process(caf::event_based_actor* parent, std::shared_ptr<engine_context> ctx,
                         process_launch launch);

}  // namespace baton::actors
