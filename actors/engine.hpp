#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/callback_formats.hpp"
#include "config/settings.hpp"
#include "model/clock.hpp"
#include "model/definition.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "model/value.hpp"
#include "storage/status.hpp"

namespace baton::storage {
class process_store;
}

namespace baton::outgoing {
class delegate_client;
}

namespace baton::actors {

class definition_registry;
class partition_owner;

/// Why a command did not do what was asked. `http/` maps each to a status in one table.
enum class engine_errc : std::uint8_t {
  ok,
  unknown_definition,   ///< 404
  unknown_scenario,     ///< 404
  scenario_required,    ///< 400
  invalid_input,        ///< 400, `field` names the input
  scope_busy,           ///< 409
  not_found,            ///< 404: process or step
  not_waiting,          ///< 412: step not waiting / process not in a state for this
  invalid_params,       ///< 412: complete-step params
  conflict,             ///< 409: e.g. cancel of a finished process
  storage_unavailable,  ///< 503 + Retry-After: an I/O error, corruption, or RocksDB recovering
  storage_full,         ///< 507 + Retry-After: the data volume is below its free-space watermark
  shutting_down,        ///< 503
  timed_out,            ///< 503 + Retry-After: the engine did not answer in time
  unsupported,          ///< 501: not available in this setup (schedules in a cluster, for now)
};

/// The engine error for a failed storage call.
engine_errc errc_of(const storage::status& failure);
/// What a client is told of a failed storage call: no path, no RocksDB text (those go to the
/// log, with `doing`, from here).
std::string storage_message(const storage::status& failure, std::string_view doing);

struct start_request {
  std::string definition;
  std::optional<std::int64_t> version;
  model::values values;
  std::string scope;
  bool reject_if_busy = false;  ///< `busy: "reject"`: 409 instead of queueing
  std::string idempotency_key;
  int retry_count = 0;
  std::string scenario;
  bool sandbox = false;
  std::string worker;
  std::string schedule_id;
  /// Told (at least once, in order) when the process parks at a step or ends.
  std::optional<model::callback_target> callback;
  /// Synchronous start: answer when the process ends or after this many ms (then 202).
  std::optional<std::int64_t> wait_timeout_ms;
  /// The native API's: a value no input declares is refused (a likely typo) when the
  /// definition declares inputs and does not take extra values. Vendor routes keep theirs.
  bool strict_values = false;
  /// A child process (a sub-process, a branch or an item run), started by the engine itself:
  /// its id (made by its parent), its parent and the parent's step execution, and the step
  /// it starts at (empty: the main sequence). Never set from a client's request.
  std::string process_id{};
  std::string parent_id{};
  std::string parent_step{};
  std::string entry{};
};

/// The answer to a command that concerns one process.
struct process_answer {
  engine_errc code = engine_errc::ok;
  std::string message;  ///< for errors
  std::string field;    ///< the offending input or param, for errors
  std::vector<std::pair<std::string, std::string>> field_errors;  ///< every failing field
  std::string process_id;
  /// The process after the command, shared by every answer of that moment; null for errors.
  std::shared_ptr<const model::process_state> process;
  model::process_status status = model::process_status::waiting;
  bool replayed = false;        ///< idempotent start answered from the first one
  bool wait_timed_out = false;  ///< synchronous start: the process had not ended in time
  std::optional<std::string> next_step_id;  ///< complete-step: the step it started next
  model::values outputs;
  model::values params;  ///< complete-step: the params as accepted
};

using answer_callback = std::function<void(process_answer)>;

struct scope_settings {
  std::optional<std::int64_t> limit;
  std::optional<bool> reject_when_busy;
  std::optional<bool> paused;
};

struct scope_info {
  std::string name;
  std::int64_t limit = 1;
  bool reject_when_busy = false;
  bool paused = false;
  std::vector<std::string> running;
  std::vector<std::string> queued;  ///< in admission order: position = index + 1
  /// Not ok: the scope could not be asked (its owner in a cluster did not answer).
  engine_errc code = engine_errc::ok;
  std::string message;
};

/// The answer to a change of a scope's settings.
struct scope_answer {
  engine_errc code = engine_errc::ok;
  std::string message;
  scope_info info;  ///< the scope under its new settings, when ok
};

struct deploy_answer {
  engine_errc code = engine_errc::ok;  ///< a storage failure when not ok
  std::string message;
  std::shared_ptr<const model::definition> definition;
  bool created = false;  ///< false: identical to the latest version, nothing new deployed
};

/// The answer to retiring a definition name.
struct retire_answer {
  engine_errc code = engine_errc::ok;  ///< not_found for an unknown name, or a storage failure
  std::string message;
  std::shared_ptr<const model::definition> definition;  ///< its latest version, when ok
  model::retirement retired;  ///< when ok (the first one, if retired twice)
};

struct schedule_answer {
  engine_errc code = engine_errc::ok;
  std::string message;
  std::string field;
  std::vector<std::pair<std::string, std::string>> field_errors;
  model::schedule schedule;
};
using schedule_callback = std::function<void(schedule_answer)>;

enum class schedule_action : std::uint8_t { pause, resume, remove };

// -- job steps, pulled by workers --------------------------------------------------------

/// A worker's request for jobs: up to `max` of `type`, leased for `lease_ms`; with none
/// waiting, the request waits up to `wait_ms` for one (a long poll).
struct job_activation {
  std::string type;
  std::string worker;
  std::int32_t max = 1;
  std::int64_t lease_ms = 60'000;
  std::int64_t wait_ms = 0;
  /// Globs of the definitions whose jobs the worker's client may see (`*`: all).
  std::vector<std::string> definitions = {"*"};
  /// In a cluster, the name of a long poll that one node parks on every node's board at
  /// once (`cancel_activation` calls the others off when one answers); empty otherwise.
  std::string poll_id;
};

/// A job as a worker gets it: what it works on, what it must answer, and its lease.
struct leased_job {
  std::string key;  ///< the processStepId
  std::string type;
  std::string process_id;
  std::string definition;
  model::values values;
  std::vector<std::pair<std::string, std::string>> contract;  ///< param name → type name
  int attempt = 1;
  std::string token;
  std::int64_t expires_ms = 0;
};

/// The answer to a `job_activation`: the jobs leased (none when the wait ended empty).
struct job_batch {
  engine_errc code = engine_errc::ok;
  std::string message;
  std::vector<leased_job> jobs;
};

/// A job on this node's job board, for operators.
struct job_info {
  std::string key;
  std::string type;
  std::string process_id;
  model::job_status status = model::job_status::waiting;
  int attempt = 1;
  std::int64_t created_ms = 0;
  std::string worker;           ///< leased: who holds it
  std::int64_t expires_ms = 0;  ///< leased: until when
};

// -- messages, which complete message steps ----------------------------------------------

/// `POST /api/v1/messages`: completes every step waiting for `name` with `correlation`, with
/// `values` as its params; with none waiting and `ttl_ms` > 0 the message is buffered for a
/// step that starts within the ttl.
struct message_post {
  std::string name;
  std::string correlation;
  model::values values;
  std::int64_t ttl_ms = 0;
  std::string message_id;  ///< a repeat with the same id answers the first answer
  std::string by;          ///< who sent it, for the history
  /// Whether the sender may touch processes of a definition; empty: any. Steps of others are
  /// passed over as if they did not wait.
  std::function<bool(std::string_view definition)> may_use;
};

/// A waiting step the message did not complete, and why.
struct message_refusal {
  std::string step_id;
  engine_errc code = engine_errc::ok;
  std::string message;
  std::vector<std::pair<std::string, std::string>> field_errors;  ///< params that do not fit
};

struct message_outcome {
  engine_errc code = engine_errc::ok;  ///< not ok: nothing was done (storage, a repeat in flight)
  std::string message;
  std::int64_t completed = 0;
  std::vector<std::string> processes;  ///< the processes whose steps it completed
  bool buffered = false;
  std::vector<message_refusal> refused;
  bool replayed = false;  ///< the first answer to this messageId, repeated
};

/// Baton's engine as seen from outside the actor system: plain calls with callbacks, so that
/// `http/` needs no CAF header. Every callback runs exactly once, on some engine thread.
class engine {
 public:
  using clock_ms = model::clock_ms;

  /// Starts the actor system and the callback outbox, recovers non-terminal processes, and
  /// becomes ready.
  /// @param now_ms wall clock (tests pass a fake one); empty: `model::system_clock_ms`
  /// @param formats callback body formats by name; "native" is the one a target without a
  ///        format gets (`http::callback_bodies` has them all)
  /// @param cluster this node's partitions in a cluster (null: a single node). The engine
  ///        resumes only the processes of partitions it owns, starts new ones in them, and
  ///        tags every write with its partition so that the cluster's log can fence it.
  /// @returns failed when the store could not be read.
  static storage::result<std::unique_ptr<engine>> create(const config::settings& settings,
                                                         storage::process_store& store,
                                                         outgoing::delegate_client& delegates,
                                                         clock_ms now_ms = {},
                                                         callback_formats formats = {},
                                                         partition_owner* cluster = nullptr);
  virtual ~engine() = default;

  virtual void start(start_request request, answer_callback done) = 0;
  /// Completes an external step; `by` (a client's name) goes into the history.
  virtual void complete_step(std::string step_id, model::values params, std::string by,
                             answer_callback done) = 0;
  virtual void cancel(std::string process_id, std::string reason, answer_callback done) = 0;
  virtual void execute(std::string process_id, std::string step_id, answer_callback done) = 0;
  /// Runs a FAILED process again from its failed step, with `values` merged in; `scope` is
  /// the process' (its retry needs a free slot there). `by` goes into the history.
  virtual void retry(std::string process_id, std::string scope, model::values values,
                     std::string by, answer_callback done) = 0;

  /// Leases waiting jobs of a type to a worker, oldest first; with none, waits for one up to
  /// the request's `wait_ms`.
  virtual void activate_jobs(job_activation request, std::function<void(job_batch)> done) = 0;
  /// Completes job `key` under lease `token` with `params`, checked as complete-step checks.
  virtual void complete_job(std::string key, std::string token, model::values params,
                            answer_callback done) = 0;
  /// A worker gives job `key` up: retried per the step's policy, else the step fails.
  /// Ends a lease whose worker never got the job (its long poll's client had gone): the job
  /// waits again at once and the attempt is not counted.
  virtual void release_job(std::string key, std::string token, std::string why,
                           answer_callback done) = 0;
  virtual void fail_job(std::string key, std::string token, std::string error,
                        std::optional<std::int64_t> retry_in_ms, answer_callback done) = 0;
  /// The lease of job `key` ends `lease_ms` from now.
  virtual void extend_job(std::string key, std::string token, std::int64_t lease_ms,
                          answer_callback done) = 0;
  /// Waiting and leased jobs of this node; `type` and `status` filter when given.
  virtual void list_jobs(std::string type, std::optional<model::job_status> status,
                         std::function<void(std::vector<job_info>)> done) = 0;

  /// Delivers a message to the steps waiting for it, or buffers it (`message_post`).
  virtual void post_message(message_post message, std::function<void(message_outcome)> done) = 0;

  virtual void deploy(model::definition def, std::function<void(deploy_answer)> done) = 0;
  /// Retires definition `name` from new starts, for client `by`; deploying it again brings it
  /// back. Processes already running keep their version.
  virtual void retire(std::string name, std::string by,
                      std::function<void(retire_answer)> done) = 0;
  virtual definition_registry& definitions() = 0;
  /// Whether every process this engine starts is a sandbox (`engine.mode = "sandbox"`).
  virtual bool sandbox_mode() const = 0;
  /// The wall clock this engine's actors read (ms since the epoch); front ends stamp their
  /// answers with it too, so that an answer and the process it reports agree on "now".
  virtual std::int64_t now_ms() const = 0;

  virtual void scope(std::string name, std::function<void(scope_info)> done) = 0;
  virtual void list_scopes(std::function<void(std::vector<scope_info>)> done) = 0;
  /// Stores a scope's settings and then applies them: nothing changes when they could not be
  /// stored.
  virtual void configure_scope(std::string name, scope_settings settings,
                               std::function<void(scope_answer)> done) = 0;

  /// Validates, stores and arms a schedule; its id, status and first fire time are assigned.
  virtual void create_schedule(model::schedule s, schedule_callback done) = 0;
  virtual void change_schedule(std::string id, schedule_action action, schedule_callback done) = 0;

  /// True once recovery finished (for /readyz).
  virtual bool ready() const = 0;
  /// In a cluster: runs here a command that another node forwarded (`partition_owner::forward`),
  /// never forwarding it on. `done` gets the encoded answer, or nothing when `command` is not a
  /// command that is forwarded.
  virtual void run_forwarded(std::string_view command,
                             std::function<void(std::optional<std::string>)> done) = 0;
  /// Appends engine gauges and counters in Prometheus text format.
  virtual void collect_metrics(std::string& out) const = 0;
  virtual storage::process_store& store() = 0;
  /// Stops every actor and waits for writes in flight. Call it before the delegate client
  /// goes (its callbacks post to actors); the actor system itself goes with the engine.
  /// No command may be sent afterwards.
  virtual void shutdown() = 0;
};

}  // namespace baton::actors
