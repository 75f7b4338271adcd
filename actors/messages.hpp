#pragma once

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/engine.hpp"
#include "actors/partition_owner.hpp"
#include "actors/process_launch.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "outgoing/delegate_client.hpp"
#include "storage/inspect.hpp"
#include "storage/status.hpp"

// The messages of Baton's actors: named structs, no callbacks. An answer travels back as the
// reply to a request (`request(...).then(...)`), never as a function inside a message, so
// that every message can be serialised and sent to another node. Each has a free `inspect`
// (at the end of this file) and a type ID in the one `baton` block; `add_message_types`
// registers them all with an actor system.

namespace baton::actors {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using reload_atom = caf::atom_constant<caf::atom("reload")>;
/// Scheduler → process: the job board was restarted; tell it where your job step stands.
using announce_atom = caf::atom_constant<caf::atom("announce")>;
/// Process → itself: start again the children whose start failed for a passing reason.
using children_atom = caf::atom_constant<caf::atom("children")>;
/// Job board → itself: the hold of a type's woken long polls is over; serve them now.
using hold_atom = caf::atom_constant<caf::atom("hold")>;

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

/// Complete an external step with params; or, with a lease token, a job step.
struct complete_step {
  std::string process_id;
  std::string step_id;
  model::values params;
  std::optional<std::string> lease_token;  ///< set: a worker completes a job step
  std::string by{};                        ///< who completes it, for the history
  std::string message{};                   ///< set: message `message` completes a message step
  /// A buffered message this completion consumes: erased in the same batch.
  std::string consume_key{};
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
  outgoing::outgoing_response response;
};

/// Process → scheduler: deliver ev_due at `due_ms` (timer step or deadline).
struct arm_timer {
  std::string process_id;
  std::string step_id;
  std::int64_t due_ms = 0;
};

/// Process → scheduler: the timer armed for `step_id` at `due_ms` is no longer wanted (a
/// job's lease ended before it ran out), so it must not wake the process up.
struct disarm_timer {
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

/// A process actor that went idle, as the idle line holds it (`actors/idle_watch.hpp`).
struct idle_process {
  std::string process_id;
  std::uint64_t actor = 0;       ///< its actor's id: a later actor of the same process is not it
  std::uint64_t generation = 0;  ///< its idle generation when it went idle
};

/// Idle watch → scheduler: processes idle for `passivate_after`. Each one whose actor still
/// runs gets `idle_atom` with its generation (not counted in the passivation handshake: the
/// process does not count it either), and asks to leave if it stayed idle since.
struct idle_due {
  std::vector<idle_process> processes;
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
  /// In a cluster: the epoch of its partition when it was read (-1: not this node's then).
  std::int64_t epoch = 0;
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

/// Read a scope's stored settings (answered with `scope_settings_loaded`): a scope queue's,
/// as it starts and as it is restored, so that no queue waits on the disk in its mailbox.
struct load_scope_settings {
  std::string scope;
};
struct scope_settings_loaded {
  storage::status read;
  bool found = false;
  std::string stored;  ///< the settings record as stored, when found
};

/// Read which of this node's processes are at a job step (answered with `job_steps_loaded`):
/// a restarted job board's.
struct load_job_steps {};
struct job_steps_loaded {
  storage::status read;
  std::vector<std::string> process_ids;
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
  /// Processes loaded to go on: http calls that may have been in flight, parents waiting for
  /// their children, job steps the job board must hear of (recovery_scan).
  std::vector<std::string> reissue;
  /// Children whose parent has ended: a crash came between the parent's end and the cancel
  /// it sent them. Nobody waits for them any more; they are cancelled.
  std::vector<std::string> orphans;
};

// -- partitions (in a cluster) ------------------------------------------------------------

/// Engine → scheduler: this node took or lost partitions (`partition_owner::watch_ownership`).
struct ownership_changed {
  std::vector<ownership_change> changes;
};

/// Scheduler → trigger: partitions this node no longer owns; their schedules go (a partition
/// taken is announced by `schedule_restore` of the schedules as stored).
struct partitions_lost {
  std::vector<std::uint32_t> partitions;
};

/// Read what a partition taken at `epoch` needs resumed (answered with `partition_loaded`),
/// once the store holds the previous owner's last writes.
struct load_partition {
  std::uint32_t partition = 0;
  std::int64_t epoch = 0;
};
struct partition_loaded {
  std::uint32_t partition = 0;
  std::int64_t epoch = 0;
  storage::status read;  ///< failed: not caught up in time, or the index could not be read
  std::vector<scope_restore> scopes;
  recovered_work work;
  std::int64_t active = 0;  ///< non-terminal processes of the partition
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

/// Retire a definition name from new starts (answered with `retire_answer`).
struct retire_definition {
  std::string name;
  std::string by;  ///< the client retiring it
};

// -- callbacks (the outbox) ---------------------------------------------------------------

/// Process → outbox: the outbox entry `outbox_key` (see `process_store::put_outbox`) is
/// durable. Duplicates are ignored.
struct callback_due {
  std::string outbox_key;
};

/// Delegate client → outbox: the try `attempt` of the oldest callback of `process_id` ended
/// with `status` (0: no HTTP answer, then `error` says why).
struct callback_answered {
  std::string process_id;
  std::string outbox_key;
  int attempt = 0;
  int status = 0;
  std::string error;
};

/// Outbox → itself, after the backoff: try the oldest callback of `process_id` again, if it
/// is still `outbox_key`.
struct callback_retry {
  std::string process_id;
  std::string outbox_key;
};

/// Engine or scheduler → a new outbox, once it is the one processes signal: read the whole
/// outbox from the store and queue what is owed. Signals that came before are found by it.
struct outbox_scan {};

/// Group committer → outbox: the erase of `outbox_key` was written (or failed: then it is
/// sent again after a restart, which at-least-once allows). A late `callback_due` of it is
/// ignored until here.
struct callback_erased {
  std::string outbox_key;
};

// -- jobs (the job board) -----------------------------------------------------------------

/// Process → job board: a job step changed for the workers (after its write is durable).
struct job_changed {
  std::string process_id;
  std::string definition;  ///< whose clients may see the job
  model::fx_job job;
};

/// A worker's activation (answered with `job_batch`).
struct activate_jobs {
  job_activation request;
};

/// Retry a FAILED process of `scope` (answered with `process_answer`): it runs again only with a
/// slot of its scope (it gave its own up when it failed), else the answer is `scope_busy`.
struct retry_in_scope {
  std::string process_id;
  std::string scope;
  model::ev_retry retry;
};

/// Ends the parked long poll `poll_id` at once (it answers with no jobs): another node's board
/// answered the worker first.
struct cancel_activation {
  std::string poll_id;
};

/// The jobs on the board (answered with `std::vector<job_info>`); empty filters match all.
struct job_list_query {
  std::string type;
  std::optional<model::job_status> status;
};

// -- inspection ---------------------------------------------------------------------------

/// Enums print as their underlying integer (serializers handle enums themselves).
using model::inspect;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_request& x) {
  return f(caf::meta::type_name("baton::actors::start_request"), x.definition, x.version, x.values,
           x.scope, x.reject_if_busy, x.idempotency_key, x.retry_count, x.scenario, x.sandbox,
           x.worker, x.schedule_id, x.callback, x.wait_timeout_ms, x.strict_values, x.process_id,
           x.parent_id, x.parent_step, x.entry);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_answer& x) {
  return f(caf::meta::type_name("baton::actors::process_answer"), x.code, x.message, x.field,
           x.field_errors, x.process_id, x.process, x.status, x.replayed, x.wait_timed_out,
           x.next_step_id, x.outputs, x.params);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_settings& x) {
  return f(caf::meta::type_name("baton::actors::scope_settings"), x.limit, x.reject_when_busy,
           x.paused);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_info& x) {
  return f(caf::meta::type_name("baton::actors::scope_info"), x.name, x.limit, x.reject_when_busy,
           x.paused, x.running, x.queued, x.code, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_answer& x) {
  return f(caf::meta::type_name("baton::actors::scope_answer"), x.code, x.message, x.info);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_answer& x) {
  return f(caf::meta::type_name("baton::actors::deploy_answer"), x.code, x.message, x.definition,
           x.created);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retire_answer& x) {
  return f(caf::meta::type_name("baton::actors::retire_answer"), x.code, x.message, x.definition,
           x.retired);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_answer& x) {
  return f(caf::meta::type_name("baton::actors::schedule_answer"), x.code, x.message, x.field,
           x.field_errors, x.schedule);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_launch& x) {
  return f(caf::meta::type_name("baton::actors::process_launch"), x.state, x.is_new, x.admitted,
           x.reissue, x.effects, x.idempotency_key, x.callback, x.wait_timeout_ms, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_process& x) {
  return f(caf::meta::type_name("baton::actors::start_process"), x.request);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_command& x) {
  return f(caf::meta::type_name("baton::actors::process_command"), x.process_id, x.event,
           x.reject_code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, complete_step& x) {
  return f(caf::meta::type_name("baton::actors::complete_step"), x.process_id, x.step_id, x.params,
           x.lease_token, x.by, x.message, x.consume_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_event& x) {
  return f(caf::meta::type_name("baton::actors::engine_event"), x.process_id, x.event);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_done& x) {
  return f(caf::meta::type_name("baton::actors::write_done"), x.token, x.written);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_result& x) {
  return f(caf::meta::type_name("baton::actors::http_result"), x.step_id, x.attempt, x.response);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, arm_timer& x) {
  return f(caf::meta::type_name("baton::actors::arm_timer"), x.process_id, x.step_id, x.due_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, disarm_timer& x) {
  return f(caf::meta::type_name("baton::actors::disarm_timer"), x.process_id, x.step_id, x.due_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_retry& x) {
  return f(caf::meta::type_name("baton::actors::schedule_retry"), x.process_id, x.step_id,
           x.due_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_finished& x) {
  return f(caf::meta::type_name("baton::actors::process_finished"), x.process_id, x.scope);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, passivate_request& x) {
  return f(caf::meta::type_name("baton::actors::passivate_request"), x.process_id, x.handled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_answered& x) {
  return f(caf::meta::type_name("baton::actors::start_answered"), x.idempotency_key, x.answer);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admit_process& x) {
  return f(caf::meta::type_name("baton::actors::admit_process"), x.process_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_crashed& x) {
  return f(caf::meta::type_name("baton::actors::process_crashed"), x.process_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_process& x) {
  return f(caf::meta::type_name("baton::actors::restart_process"), x.process_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_process& x) {
  return f(caf::meta::type_name("baton::actors::load_process"), x.process_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, loaded_process& x) {
  return f(caf::meta::type_name("baton::actors::loaded_process"), x.read, x.state, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_start& x) {
  return f(caf::meta::type_name("baton::actors::find_start"), x.idempotency_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, found_start& x) {
  return f(caf::meta::type_name("baton::actors::found_start"), x.read, x.answer);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_schedules&) {
  return f(caf::meta::type_name("baton::actors::load_schedules"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedules_loaded& x) {
  return f(caf::meta::type_name("baton::actors::schedules_loaded"), x.read, x.schedules);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_scope& x) {
  return f(caf::meta::type_name("baton::actors::load_scope"), x.scope);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_scope_settings& x) {
  return f(caf::meta::type_name("baton::actors::load_scope_settings"), x.scope);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_settings_loaded& x) {
  return f(caf::meta::type_name("baton::actors::scope_settings_loaded"), x.read, x.found, x.stored);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_job_steps&) {
  return f(caf::meta::type_name("baton::actors::load_job_steps"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_steps_loaded& x) {
  return f(caf::meta::type_name("baton::actors::job_steps_loaded"), x.read, x.process_ids);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_restore& x) {
  return f(caf::meta::type_name("baton::actors::scope_restore"), x.scope, x.running, x.queued);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_loaded& x) {
  return f(caf::meta::type_name("baton::actors::scope_loaded"), x.read, x.restore);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_query& x) {
  return f(caf::meta::type_name("baton::actors::scope_query"), x.scope);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_list_query&) {
  return f(caf::meta::type_name("baton::actors::scope_list_query"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_configure& x) {
  return f(caf::meta::type_name("baton::actors::scope_configure"), x.scope, x.settings);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recovered_work& x) {
  return f(caf::meta::type_name("baton::actors::recovered_work"), x.admit, x.timers, x.retries,
           x.reissue, x.orphans);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ownership_change& x) {
  return f(caf::meta::type_name("baton::actors::ownership_change"), x.partition, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ownership_changed& x) {
  return f(caf::meta::type_name("baton::actors::ownership_changed"), x.changes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partitions_lost& x) {
  return f(caf::meta::type_name("baton::actors::partitions_lost"), x.partitions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_partition& x) {
  return f(caf::meta::type_name("baton::actors::load_partition"), x.partition, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_loaded& x) {
  return f(caf::meta::type_name("baton::actors::partition_loaded"), x.partition, x.epoch, x.read,
           x.scopes, x.work, x.active);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_create& x) {
  return f(caf::meta::type_name("baton::actors::schedule_create"), x.schedule);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_change& x) {
  return f(caf::meta::type_name("baton::actors::schedule_change"), x.id, x.action);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_restore& x) {
  return f(caf::meta::type_name("baton::actors::schedule_restore"), x.schedules);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, launch_stored& x) {
  return f(caf::meta::type_name("baton::actors::launch_stored"), x.launches);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_activation& x) {
  return f(caf::meta::type_name("baton::actors::job_activation"), x.type, x.worker, x.max,
           x.lease_ms, x.wait_ms, x.definitions, x.poll_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leased_job& x) {
  return f(caf::meta::type_name("baton::actors::leased_job"), x.key, x.type, x.process_id,
           x.definition, x.values, x.contract, x.attempt, x.token, x.expires_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_batch& x) {
  return f(caf::meta::type_name("baton::actors::job_batch"), x.code, x.message, x.jobs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_info& x) {
  return f(caf::meta::type_name("baton::actors::job_info"), x.key, x.type, x.process_id, x.status,
           x.attempt, x.created_ms, x.worker, x.expires_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_changed& x) {
  return f(caf::meta::type_name("baton::actors::job_changed"), x.process_id, x.definition, x.job);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, activate_jobs& x) {
  return f(caf::meta::type_name("baton::actors::activate_jobs"), x.request);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_in_scope& x) {
  return f(caf::meta::type_name("baton::actors::retry_in_scope"), x.process_id, x.scope, x.retry);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_activation& x) {
  return f(caf::meta::type_name("baton::actors::cancel_activation"), x.poll_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_list_query& x) {
  return f(caf::meta::type_name("baton::actors::job_list_query"), x.type, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_definition& x) {
  return f(caf::meta::type_name("baton::actors::deploy_definition"), x.definition);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retire_definition& x) {
  return f(caf::meta::type_name("baton::actors::retire_definition"), x.name, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, callback_due& x) {
  return f(caf::meta::type_name("baton::actors::callback_due"), x.outbox_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, callback_answered& x) {
  return f(caf::meta::type_name("baton::actors::callback_answered"), x.process_id, x.outbox_key,
           x.attempt, x.status, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, callback_retry& x) {
  return f(caf::meta::type_name("baton::actors::callback_retry"), x.process_id, x.outbox_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idle_process& x) {
  return f(caf::meta::type_name("baton::actors::idle_process"), x.process_id, x.actor,
           x.generation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idle_due& x) {
  return f(caf::meta::type_name("baton::actors::idle_due"), x.processes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_scan&) {
  return f(caf::meta::type_name("baton::actors::outbox_scan"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, callback_erased& x) {
  return f(caf::meta::type_name("baton::actors::callback_erased"), x.outbox_key);
}

}  // namespace baton::actors

namespace baton::outgoing {

/// outgoing/ knows nothing of CAF: its answer is made inspectable here, where it becomes a
/// message (`http_result`).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_response& x) {
  return f(caf::meta::type_name("baton::outgoing::outgoing_response"), x.status, x.body, x.error);
}

}  // namespace baton::outgoing

namespace baton::storage {

/// A storage status crosses actors (a write's outcome, a read's): its code and its detail.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status& x) {
  constexpr auto name = caf::meta::type_name("baton::storage::status");
  if constexpr (Inspector::reads_state) {
    auto code = static_cast<std::uint8_t>(x.code());
    auto detail = std::string(x.detail());
    return f(name, code, detail);
  } else {
    std::uint8_t code = 0;
    std::string detail;
    if (auto err = f(name, code, detail)) return err;
    x = code == 0 ? status{} : status{static_cast<storage_errc>(code), std::move(detail)};
    return {};
  }
}

}  // namespace baton::storage

// Every type that travels in a message between Baton's actors, in one block. Appending keeps
// the IDs of those before; the IDs are what another node will see.
CAF_BEGIN_TYPE_ID_BLOCK(baton, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(baton, (baton::actors::admission))
CAF_ADD_TYPE_ID(baton, (baton::actors::engine_errc))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_action))
CAF_ADD_TYPE_ID(baton, (baton::storage::status))
CAF_ADD_TYPE_ID(baton, (baton::outgoing::outgoing_response))
CAF_ADD_TYPE_ID(baton, (baton::actors::start_request))
CAF_ADD_TYPE_ID(baton, (baton::actors::process_answer))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_settings))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_info))
CAF_ADD_TYPE_ID(baton, (std::vector<baton::actors::scope_info>))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_answer))
CAF_ADD_TYPE_ID(baton, (baton::actors::deploy_answer))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_answer))
CAF_ADD_TYPE_ID(baton, (baton::actors::process_launch))
CAF_ADD_TYPE_ID(baton, (baton::actors::start_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::process_command))
CAF_ADD_TYPE_ID(baton, (baton::actors::complete_step))
CAF_ADD_TYPE_ID(baton, (baton::actors::engine_event))
CAF_ADD_TYPE_ID(baton, (baton::actors::write_done))
CAF_ADD_TYPE_ID(baton, (baton::actors::http_result))
CAF_ADD_TYPE_ID(baton, (baton::actors::arm_timer))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_retry))
CAF_ADD_TYPE_ID(baton, (baton::actors::process_finished))
CAF_ADD_TYPE_ID(baton, (baton::actors::passivate_request))
CAF_ADD_TYPE_ID(baton, (baton::actors::start_answered))
CAF_ADD_TYPE_ID(baton, (baton::actors::admit_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::process_crashed))
CAF_ADD_TYPE_ID(baton, (baton::actors::restart_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::loaded_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::find_start))
CAF_ADD_TYPE_ID(baton, (baton::actors::found_start))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_schedules))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedules_loaded))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_scope))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_loaded))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_query))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_list_query))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_configure))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_restore))
CAF_ADD_TYPE_ID(baton, (baton::actors::recovered_work))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_create))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_change))
CAF_ADD_TYPE_ID(baton, (baton::actors::schedule_restore))
CAF_ADD_TYPE_ID(baton, (baton::actors::launch_stored))
CAF_ADD_TYPE_ID(baton, (baton::actors::deploy_definition))
CAF_ADD_TYPE_ID(baton, (baton::actors::callback_due))
CAF_ADD_TYPE_ID(baton, (baton::actors::callback_answered))
CAF_ADD_TYPE_ID(baton, (baton::actors::callback_retry))
CAF_ADD_TYPE_ID(baton, (baton::actors::callback_erased))
CAF_ADD_TYPE_ID(baton, (baton::actors::job_batch))
CAF_ADD_TYPE_ID(baton, (baton::actors::job_info))
CAF_ADD_TYPE_ID(baton, (std::vector<baton::actors::job_info>))
CAF_ADD_TYPE_ID(baton, (baton::actors::job_changed))
CAF_ADD_TYPE_ID(baton, (baton::actors::activate_jobs))
CAF_ADD_TYPE_ID(baton, (baton::actors::job_list_query))
CAF_ADD_TYPE_ID(baton, (baton::actors::disarm_timer))
CAF_ADD_TYPE_ID(baton, (baton::actors::ownership_changed))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_partition))
CAF_ADD_TYPE_ID(baton, (baton::actors::partition_loaded))
CAF_ADD_TYPE_ID(baton, (baton::actors::partitions_lost))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_job_steps))
CAF_ADD_TYPE_ID(baton, (baton::actors::job_steps_loaded))
CAF_ADD_TYPE_ID(baton, (baton::actors::cancel_activation))
CAF_ADD_TYPE_ID(baton, (baton::actors::retry_in_scope))
CAF_ADD_TYPE_ID(baton, (baton::actors::retire_definition))
CAF_ADD_TYPE_ID(baton, (baton::actors::retire_answer))
CAF_ADD_TYPE_ID(baton, (baton::actors::load_scope_settings))
CAF_ADD_TYPE_ID(baton, (baton::actors::scope_settings_loaded))
CAF_ADD_TYPE_ID(baton, (baton::actors::outbox_scan))
CAF_ADD_TYPE_ID(baton, (baton::actors::idle_process))
CAF_ADD_TYPE_ID(baton, (baton::actors::idle_due))
CAF_END_TYPE_ID_BLOCK(baton)

namespace caf {
class actor_system_config;
}

namespace baton::actors {

/// Registers every type of the `baton` block with `cfg` under its name, so that messages of
/// those types can be serialised (for other nodes, and for the round-trip test).
void add_message_types(caf::actor_system_config& cfg);

}  // namespace baton::actors
