#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/delegate_client.hpp"
#include "actors/engine.hpp"
#include "actors/process_launch.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "storage/status.hpp"

// The messages of Baton's actors: named structs, no callbacks. An answer travels back as the
// reply to a request (`request(...).then(...)`), never as a function inside a message, so
// that every message could be serialised and sent to another node.

namespace baton::actors {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using reload_atom = caf::atom_constant<caf::atom("reload")>;

/// How a scope queue answered a reservation.
enum class admission : std::uint8_t { admitted, queued, rejected };

// -- commands from clients (answered with a `process_answer`) -----------------------------

/// Start a process.
struct start_process {
  start_request request;
};

/// Apply a client's event (cancel, execute) to one process. `reject_code` is the error a
/// rejection of this command maps to.
struct process_command {
  std::string process_id;
  model::event event;
  engine_errc reject_code = engine_errc::conflict;
};

/// Complete an external step with params.
struct complete_step {
  std::string process_id;
  std::string step_id;
  model::values params;
};

// -- the engine's own work (no reply) ----------------------------------------------------

/// An event of the engine's own (a due timer, an admission): no client waits for it, so a
/// process whose write of it fails applies it again later.
struct engine_event {
  std::string process_id;
  model::event event;
};

/// A write submitted to the group committer with `token` is durable (or failed). Every
/// actor that writes gets this back and keeps what the write was for under its token.
struct write_done {
  std::uint64_t token = 0;
  storage::status written;
};

/// Delegate client → process: an http step's call ended.
struct http_result {
  std::string step_id;
  int attempt = 0;
  outgoing_response response;
};

/// Process → scheduler: deliver ev_due at `due_ms` (timer step or deadline).
struct arm_timer {
  std::string process_id;
  std::string step_id;
  std::int64_t due_ms = 0;
};

/// Process → retry: the step's retry backoff ends at `due_ms`.
struct schedule_retry {
  std::string process_id;
  std::string step_id;
  std::int64_t due_ms = 0;
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
  std::uint64_t handled = 0;
};

/// Process → scheduler: the first answer to an idempotent start; duplicates that waited for
/// it get the same.
struct start_answered {
  std::string idempotency_key;
  process_answer answer;
};

/// Scope queue → scheduler: the process got its slot.
struct admit_process {
  std::string process_id;
};

/// Scheduler → retry → scheduler: a process actor died; restart it from its snapshot.
struct process_crashed {
  std::string process_id;
};
struct restart_process {
  std::string process_id;
};

// -- reads (answered by a store reader, so that no shared actor waits on the disk) --------

/// Read a process' snapshot (answered with `loaded_process`).
struct load_process {
  std::string process_id;
};
struct loaded_process {
  storage::status read;  ///< failed: the snapshot could not be read (not "unknown")
  std::optional<model::process_state> state;  ///< none: no such process
};

/// Look up the process an idempotency key started (answered with `found_start`).
struct find_start {
  std::string idempotency_key;
};
struct found_start {
  storage::status read;
  std::optional<process_answer> answer;  ///< the first start's answer, replayed; none: new key
};

/// Read every stored schedule (answered with `schedules_loaded`): a restarted trigger's.
struct load_schedules {};
struct schedules_loaded {
  storage::status read;
  std::vector<model::schedule> schedules;
};

/// Read which non-terminal processes a scope holds (answered with `scope_loaded`): a
/// restarted scope queue's.
struct load_scope {
  std::string scope;
};

// -- scopes -------------------------------------------------------------------------------

/// A scope's settings and queues (answered with `scope_info`).
struct scope_query {
  std::string scope;
};
/// Every scope (answered with `std::vector<scope_info>`).
struct scope_list_query {};
/// Change a scope's settings (answered with `scope_answer` once stored).
struct scope_configure {
  std::string scope;
  scope_settings settings;
};

/// Recovery → scheduler → scope queue: its state as stored.
struct scope_restore {
  std::string scope;
  std::vector<std::string> running;
  std::vector<std::string> queued;
};

struct scope_loaded {
  storage::status read;
  scope_restore restore;
};

/// Recovery → scheduler: what the non-terminal processes need, read from the active index.
/// The scheduler works through it in bounded chunks, so commands are served meanwhile.
/// Each list is in id order (the index's order).
struct recovered_work {
  std::vector<std::string> admit;  ///< WAITING without a scope
  std::vector<arm_timer> timers;   ///< timer steps and external deadlines
  std::vector<schedule_retry> retries;
  std::vector<std::string> reissue;  ///< http calls that may have been in flight
};

// -- schedules ----------------------------------------------------------------------------

/// Validate, store and arm a schedule (answered with `schedule_answer`).
struct schedule_create {
  model::schedule schedule;
};
/// Pause, resume or remove a schedule (answered with `schedule_answer`).
struct schedule_change {
  std::string id;
  schedule_action action = schedule_action::pause;
};
/// Recovery → trigger: every stored schedule.
struct schedule_restore {
  std::vector<model::schedule> schedules;
};
/// Trigger → scheduler: processes a batch of fires stored, whose effects need their actor.
struct launch_stored {
  std::vector<process_launch> launches;
};

// -- definitions --------------------------------------------------------------------------

/// Deploy a definition: a new version when it differs from the latest (answered with
/// `deploy_answer`).
struct deploy_definition {
  model::definition definition;
};

}  // namespace baton::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::start_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::complete_step)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::engine_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::write_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::http_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_retry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::passivate_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::start_answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::admit_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_crashed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::restart_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::load_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::loaded_process)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::find_start)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::found_start)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::load_schedules)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedules_loaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::load_scope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_loaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_list_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_configure)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_restore)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::recovered_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::admission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_restore)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::launch_stored)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::deploy_definition)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::process_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<baton::actors::scope_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::scope_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::schedule_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::deploy_answer)
