#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/engine.hpp"
#include "actors/fire_batch.hpp"
#include "actors/process.hpp"
#include "model/process.hpp"

// Messages between Baton's actors. They stay inside one node and carry reply callbacks
// (std::function), so they are allowed as unsafe (process-local) message types; a message
// that crosses nodes gets an `inspect` overload instead.

namespace baton::actors {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;

/// How a scope queue answered a reservation.
enum class admission : std::uint8_t { admitted, queued, rejected };

/// HTTP → scheduler: start a process.
struct start_cmd {
  start_request request;
  answer_callback done;
};

/// Anyone → scheduler → process: apply an event; answer `done` (may be empty).
/// `reject_code` is the error a rejection of this command maps to.
struct event_cmd {
  std::string process_id;
  model::event event;
  answer_callback done;
  engine_errc reject_code = engine_errc::conflict;
};

/// HTTP → scheduler → process: complete an external step with params.
struct complete_cmd {
  std::string process_id;
  std::string step_id;
  model::values params;
  answer_callback done;
};

/// Group committer → process: the write with `token` is durable (or failed).
struct persisted {
  std::uint64_t token;
  storage::status written;
};

/// Delegate client → process: an http step's call ended.
struct http_result {
  std::string step_id;
  int attempt;
  outgoing_response response;
};

/// Process → scheduler: deliver ev_due at `due_ms` (timer step or deadline).
struct arm_timer {
  std::string process_id;
  std::string step_id;
  std::int64_t due_ms;
};

/// Process → retry: the step's retry backoff ends at `due_ms`.
struct schedule_retry {
  std::string process_id;
  std::string step_id;
  std::int64_t due_ms;
};

/// Process → scheduler: the process reached a terminal status; free its scope slot.
struct process_finished {
  std::string process_id;
  std::string scope;
};

/// Process → scheduler: nothing to do; may I leave memory? `handled` counts the messages
/// it got from the scheduler, so the scheduler knows none is still on its way.
struct passivate_request {
  std::string process_id;
  std::uint64_t handled;
};

/// Scope queue → scheduler: the process got its slot.
struct admit_cmd {
  std::string process_id;
};

/// Scheduler → retry → scheduler: a process actor died; restart it from its snapshot.
struct process_crashed {
  std::string process_id;
};
struct restart_process {
  std::string process_id;
};

/// HTTP → scheduler → scope queue.
struct scope_query {
  std::string scope;
  std::function<void(scope_info)> done;
};
struct scope_list_query {
  std::function<void(std::vector<scope_info>)> done;
};
struct scope_configure {
  std::string scope;
  scope_settings settings;
  std::function<void(scope_answer)> done;
};
/// Group committer → scope queue: a scope's new settings are stored (or failed to be).
struct scope_settings_stored {
  scope_info settings;  ///< the settings as stored (queues are the actor's own)
  std::function<void(scope_answer)> done;
  storage::status written;
};

/// Scheduler → itself: an idempotent start answered; answer the duplicates that waited.
struct idempotent_answered {
  std::string key;
  process_answer answer;
};

/// Recovery → scheduler → scope queue: its state as stored.
struct scope_restore {
  std::string scope;
  std::vector<std::string> running;
  std::vector<std::string> queued;
};

/// Recovery → scheduler: what the non-terminal processes need, read from the active index.
/// The scheduler works through it in bounded chunks, so commands are served meanwhile.
/// Each list is in id order (the index's order).
struct recovered_work {
  std::vector<std::string> admit;     ///< WAITING without a scope
  std::vector<arm_timer> timers;      ///< timer steps and external deadlines
  std::vector<schedule_retry> retries;
  std::vector<std::string> reissue;   ///< http calls that may have been in flight
};

/// HTTP → trigger: schedule commands.
struct schedule_create {
  model::schedule schedule;
  schedule_callback done;
};
struct schedule_change {
  std::string id;
  schedule_action action;
  schedule_callback done;
};
/// Recovery → trigger: every stored schedule.
struct schedule_restore {
  std::vector<model::schedule> schedules;
};
/// Scheduler → trigger: the process of one fire was started (or not).
struct schedule_fired {
  std::string schedule_id;
  std::int64_t fire_ms;
  process_answer answer;
};

/// Group committer → trigger: a batch of fires is durable (`error` empty) or failed.
struct fires_stored {
  std::vector<batched_fire> fires;
  std::vector<batched_schedule> schedules;
  storage::status written;
};
/// Trigger → scheduler: processes a batch of fires stored, whose effects need their actor.
struct launch_stored {
  std::vector<process_launch> launches;
};

}  // namespace baton::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::start_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::event_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::complete_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::http_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_retry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::passivate_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::admit_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_crashed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::restart_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_list_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_configure)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_settings_stored)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_restore)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::recovered_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::admission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::idempotent_answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_restore)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_fired)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::fires_stored)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::launch_stored)
// Continuations posted back into an actor from another thread (e.g. after a durable write).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::function<void()>)
