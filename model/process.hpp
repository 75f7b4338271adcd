#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/definition.hpp"
#include "model/value.hpp"

namespace baton::model {

/// WAITING (queued) → RUNNING → SUCCEEDED | FAILED | CANCELLED.
enum class process_status : std::uint8_t { waiting, running, succeeded, failed, cancelled };
/// CREATED → STARTED → COMPLETED | FAILED | SKIPPED.
enum class step_status : std::uint8_t { created, started, completed, failed, skipped };

std::string_view to_string(process_status s);
std::string_view to_string(step_status s);
std::optional<process_status> parse_process_status(std::string_view s);
inline bool is_terminal(process_status s) {
  return s == process_status::succeeded || s == process_status::failed ||
         s == process_status::cancelled;
}

/// One execution of a definition step inside a process.
struct step_execution {
  std::string id;    ///< processStepId: "<process id>-<n>", n counting from 1
  std::string step;  ///< the definition's step id
  step_kind kind = step_kind::script;
  step_status status = step_status::created;
  int attempt = 1;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
  std::int64_t due_ms = 0;     ///< timer or retry: when it is due; external: deadline; 0: none
  bool retry_pending = false;  ///< failed attempt waiting for its backoff to end
  std::string error;
  values params;  ///< external: completion params; http: mapped answer
  bool operator==(const step_execution&) const = default;
};

/// Which worker holds the active job step, and until when. An empty token: nobody.
struct job_lease {
  std::string step_id;  ///< the processStepId (the job's key)
  std::string token;    ///< what the worker proves itself with
  std::string worker;
  std::int64_t expires_ms = 0;
  bool held() const { return !token.empty(); }
  bool operator==(const job_lease&) const = default;
};

/// The message the active message step waits for: its name and its correlation, rendered
/// when the step started. An empty step id: no step waits for a message.
struct message_wait {
  std::string step_id;  ///< the processStepId
  std::string name;
  std::string correlation;
  bool waiting() const { return !step_id.empty(); }
  bool operator==(const message_wait&) const = default;
};

/// A process this one started and waits for at its active step: the run of a sub-process, of
/// one branch of a parallel step, or of one item of a forEach.
struct child_run {
  std::string id;       ///< the child's process id: "<parent id>.<n>"
  std::string step_id;  ///< the parent's step execution that waits for it
  int attempt = 1;      ///< of that execution: a retry starts children of its own
  int index = 0;        ///< the branch or item it runs; 0 for a sub-process
  /// waiting: not started yet (a forEach item beyond the limit); running: started, or its
  /// start on the way; then how the child ended.
  process_status status = process_status::waiting;
  values result;  ///< when it succeeded: what the parent takes from it
  std::string error;
  bool operator==(const child_run&) const = default;
};

/// The whole durable state of one process: what a snapshot holds.
struct process_state {
  std::string id;
  std::string definition;
  std::int64_t version = 1;
  std::string scope;
  process_status status = process_status::waiting;
  values vals;
  values outputs;
  std::vector<step_execution> steps;
  int retry_count = 0;  ///< default retries for steps without a policy
  std::string error;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::string scenario;  ///< sandbox scenario id
  bool sandbox = false;
  std::string worker;       ///< free label from the start request (connector `worker`)
  std::string schedule_id;  ///< the schedule that fired it, if any
  /// Where the caller wants to hear when the process parks at a step or ends. Only the URL
  /// lives in the snapshot (which the API shows); headers, which may hold a secret, are kept
  /// in a record of their own (`callback_target`).
  std::string callback_url;
  std::uint64_t history_seq = 0;
  /// The active job step's lease. Last in the snapshot: a snapshot written before job steps
  /// ends before it and reads as "not leased" (storage/inspect.hpp).
  job_lease lease;
  /// What the active message step waits for. After the lease, for the same reason.
  message_wait awaited;
  /// A child: the process that waits for it, and that process' step execution.
  std::string parent_id;
  std::string parent_step;
  /// A branch or item run: the step it starts at; the end of that body ends it. Empty: the
  /// definition's main sequence.
  std::string entry;
  /// Every child this process started, oldest first (kept after they end: the API lists them).
  std::vector<child_run> children;

  /// The execution that is started and not finished, if any.
  const step_execution* active() const;
  step_execution* active();
  const step_execution* find_execution(std::string_view step_execution_id) const;
  bool operator==(const process_state&) const = default;
};

/// A caller's callback: POST `format`-shaped status documents to `url` with `headers`.
struct callback_target {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string format = "native";  ///< which front end renders the body ("native", "workfloo")
  bool operator==(const callback_target&) const = default;
};

/// Whether the transition from `before` to `after` is one a callback reports: the process
/// ended, or it came to rest at a step that waits for the world (an external step or a
/// timer), a different one than before.
bool worth_a_callback(const process_state& before, const process_state& after);

/// A fact in a process' life, written beside the snapshot in the same batch.
struct history_entry {
  std::uint64_t seq = 0;
  std::int64_t at_ms = 0;
  std::string type;     ///< e.g. "step_started", "step_completed", "process_succeeded"
  std::string step_id;  ///< processStepId, when about a step
  std::string detail;
  bool operator==(const history_entry&) const = default;
};

// ---- events -----------------------------------------------------------------------------

/// The process got its scope slot (or needs none) and begins its first step.
struct ev_admitted {
  bool operator==(const ev_admitted&) const = default;
};
/// An http step's call answered (or failed to). `mapped` holds the answer's mapped values.
struct ev_http_answered {
  std::string step_id;
  int attempt = 1;
  int status = 0;
  values mapped;
  std::string error;  ///< transport error or mapping problem; empty when the call answered
  /// The call was refused before it was made (a bad URL or a host not allowed): a
  /// configuration error, which fails the step at once instead of being retried.
  bool permanent = false;
  bool operator==(const ev_http_answered&) const = default;
};
/// complete-step on an external step, params already checked by `check_completion`; or a
/// worker's completion of a job step under its lease (`check_job_completion`).
struct ev_completed {
  std::string step_id;
  values params;
  std::string lease_token;  ///< job steps: the lease the worker holds
  std::string by{};         ///< who completed it (a client's name), for the history
  /// A message step: the name of the message that completes it (`check_message_delivery`);
  /// empty for complete-step, which does not complete message steps.
  std::string message{};
  bool operator==(const ev_completed&) const = default;
};
/// A due time passed: a timer step, a retry backoff, or an external step's deadline.
struct ev_due {
  std::string step_id;
  bool operator==(const ev_due&) const = default;
};
struct ev_cancel {
  std::string reason;
  bool operator==(const ev_cancel&) const = default;
};
/// Run one element now: fire a waiting timer or retry, re-issue an http call.
struct ev_execute {
  std::string step_id;
  bool operator==(const ev_execute&) const = default;
};
/// A worker takes a waiting job step for `lease_ms`.
struct ev_job_leased {
  std::string step_id;
  std::string token;
  std::string worker;
  std::int64_t lease_ms = 0;
  bool operator==(const ev_job_leased&) const = default;
};
/// A worker gives a job step up with an error: retried per the step's policy, after
/// `retry_in_ms` when the worker says (else the policy's backoff). `released`: the worker
/// never got the job (its long poll's client had gone): the lease ends and the job waits
/// again at once, the attempt not counted.
struct ev_job_failed {
  std::string step_id;
  std::string token;
  std::string error;
  std::optional<std::int64_t> retry_in_ms;
  bool released = false;
  bool operator==(const ev_job_failed&) const = default;
};
/// A worker needs longer: its lease now ends `lease_ms` from now.
struct ev_lease_extended {
  std::string step_id;
  std::string token;
  std::int64_t lease_ms = 0;
  bool operator==(const ev_lease_extended&) const = default;
};
/// Someone retries a FAILED process: it runs again from the step that failed (a new execution
/// of it, its retry policy afresh), with `values` merged into its values first.
struct ev_retry {
  std::string by;  ///< who asked, for the history
  values vals;
  bool operator==(const ev_retry&) const = default;
};
/// A child process ended: a sub-process, a branch or an item run of step `step_id`. `vals`
/// are the child's values at its end, `outputs` its definition's outputs.
struct ev_child_ended {
  std::string step_id;
  std::string child_id;
  process_status status = process_status::succeeded;
  values vals;
  values outputs;
  std::string error;
  bool operator==(const ev_child_ended&) const = default;
};
using event =
    std::variant<ev_admitted, ev_http_answered, ev_completed, ev_due, ev_cancel, ev_execute,
                 ev_job_leased, ev_job_failed, ev_lease_extended, ev_retry, ev_child_ended>;

// ---- effects ----------------------------------------------------------------------------

struct fx_call_http {
  std::string step_id;
  int attempt = 1;
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::int64_t timeout_ms = 0;
  bool operator==(const fx_call_http&) const = default;
};
struct fx_await_external {
  std::string step_id;
  bool operator==(const fx_await_external&) const = default;
};
/// A message step started waiting for message `name` with `correlation`: a buffered message
/// that matches may complete it now.
struct fx_await_message {
  std::string step_id;
  std::string name;
  std::string correlation;
  bool operator==(const fx_await_message&) const = default;
};
/// Deliver ev_due for `step_id` at `due_ms` (timer step, retry backoff or deadline).
struct fx_arm_timer {
  std::string step_id;
  std::int64_t due_ms = 0;
  bool retry = false;  ///< a retry backoff rather than a timer or deadline
  bool operator==(const fx_arm_timer&) const = default;
};
/// The process reached a terminal status; its scope slot is free.
struct fx_finished {
  process_status status = process_status::succeeded;
  bool operator==(const fx_finished&) const = default;
};
/// Where a job step stands for the workers: `waiting` to be leased, `leased`, or `gone`
/// (completed, failed, waiting for a retry backoff, cancelled).
enum class job_status : std::uint8_t { waiting, leased, gone };
/// A job step changed for the workers: the engine's job board learns of it.
struct fx_job {
  std::string step_id;
  std::string type;
  job_status status = job_status::waiting;
  int attempt = 1;
  std::int64_t created_ms = 0;  ///< when the step started: jobs are offered oldest first
  std::string worker;           ///< leased: who holds it
  std::int64_t expires_ms = 0;  ///< leased: until when
  bool lease_expired = false;   ///< a lease ran out on the way here
  bool operator==(const fx_job&) const = default;
};
/// Start child process `child_id` (unless it exists: the start is idempotent) of definition
/// `definition` (`version`, else its latest) with `vals`, at step `entry` (empty: its main
/// sequence), for step execution `step_id` of this process. When it exists and has ended,
/// the engine reports its end again (ev_child_ended).
struct fx_start_child {
  std::string child_id;
  std::string step_id;
  std::string definition;
  std::optional<std::int64_t> version;
  values vals;
  std::string entry;
  bool operator==(const fx_start_child&) const = default;
};
/// Cancel these children (a join that needs them no more, a failed step, a cancelled parent).
struct fx_cancel_children {
  std::vector<std::string> ids;
  std::string reason;
  bool operator==(const fx_cancel_children&) const = default;
};
using effect = std::variant<fx_call_http, fx_await_external, fx_arm_timer, fx_finished, fx_job,
                            fx_await_message, fx_start_child, fx_cancel_children>;

/// What the engine knows about the world when it applies an event.
struct apply_context {
  std::int64_t now_ms = 0;
  double random = 0.5;  ///< in [0,1), for retry jitter
  const scenario* sandbox_scenario = nullptr;
};

struct transition {
  process_state state;
  std::vector<effect> effects;
  std::vector<history_entry> history;
  std::string rejected;  ///< non-empty: the event did not apply (state unchanged)
  bool operator==(const transition&) const = default;
};

/// The state machine: a pure function of the state, the definition and the event.
transition apply(const process_state& state, const definition& def, const event& ev,
                 const apply_context& ctx);

/// The effects to re-issue for a non-terminal process loaded after a restart.
std::vector<effect> resume_effects(const process_state& state, const definition& def);

/// What a non-terminal process needs from the engine after a restart, without its snapshot.
/// It mirrors `resume_effects` and is small enough to store beside the process' active
/// marker, so that recovery reads an index instead of decoding every snapshot.
enum class recovery_kind : std::uint8_t {
  none,     ///< waits for a command (external step without deadline): stays passivated
  queued,   ///< WAITING: its scope queue (or, without a scope, the scheduler) admits it
  timer,    ///< a timer step or an external step's deadline: ev_due at `due_ms`
  retry,    ///< a retry backoff: ev_due at `due_ms`, through the retry actor
  reissue,  ///< an http call may have been in flight: load the process and call again
  job,      ///< a job step: load the process, offer the job again and arm its lease and deadline
  /// a step waiting for child processes: after a restart or a takeover, load the process and
  /// start again the children it waits for (each start is idempotent). Not on every load: a
  /// parent that passivated had all its children's starts answered first.
  children,
};
struct recovery_need {
  recovery_kind kind = recovery_kind::none;
  std::int64_t due_ms = 0;  ///< timer, retry
  std::string step_id;      ///< timer, retry: the processStepId that is due
  std::string scope;        ///< the process' scope; empty when none
  bool operator==(const recovery_need&) const = default;
};
recovery_need recovery_need_of(const process_state& state);

/// Why a complete-step body cannot complete an external step: per param name, the reason.
/// `step_not_waiting` is set when the step is not an external step waiting for completion.
struct completion_check {
  bool step_not_waiting = false;
  bool lease_conflict = false;  ///< job steps: the token is not the lease's, or it ran out
  std::string reason;           ///< for step_not_waiting
  std::vector<std::pair<std::string, std::string>> param_errors;
  values accepted;  ///< params converted to their declared types
  bool ok() const { return !step_not_waiting && !lease_conflict && param_errors.empty(); }
};
completion_check check_completion(const process_state& state, const definition& def,
                                  std::string_view step_id, const values& params);
/// The same for message `name` completing message step `step_id` with its values as params:
/// `step_not_waiting` also when the step waits for another message.
completion_check check_message_delivery(const process_state& state, const definition& def,
                                        std::string_view step_id, std::string_view name,
                                        const values& params);
/// The same for a worker completing job step `step_id` under lease `token` at `now_ms`: the
/// params are checked exactly as complete-step checks an external step's.
completion_check check_job_completion(const process_state& state, const definition& def,
                                      std::string_view step_id, std::string_view token,
                                      std::int64_t now_ms, const values& params);

/// Why `token` does not hold the lease of job step `step_id` at `now_ms`; empty when it does.
std::string lease_problem(const process_state& state, std::string_view step_id,
                          std::string_view token, std::int64_t now_ms);

/// The worker type job step `st` is offered to in `state`: the process' `worker` (set by the
/// scheduler connector's `worker` field) when given, else the step's `type`.
std::string job_type_of(const process_state& state, const step& st);

/// Checks and converts start values against the definition's inputs: defaults filled,
/// types converted where exact. Errors are (input name, reason).
struct input_check {
  values accepted;
  std::vector<std::pair<std::string, std::string>> errors;
};
input_check check_inputs(const definition& def, const values& given);

/// Whether a step of `kind` runs child processes and waits for them.
bool waits_for_children(step_kind kind);

/// How deep sub-processes may nest ("<id>.<n>.<n>…"): a definition that starts itself would
/// otherwise never end.
inline constexpr int max_child_depth = 8;

/// "<process id>-<n>" → process id; nullopt when malformed.
std::optional<std::string_view> process_id_of_step(std::string_view step_execution_id);

/// Backoff before retry number `attempt` (1 = first retry) of a step with `policy`: `backoff_ms`
/// doubling from `initial_ms` up to `max_ms`, its jitter only shortening the wait.
std::int64_t retry_delay_ms(const retry_policy& policy, int attempt, double random);

}  // namespace baton::model
