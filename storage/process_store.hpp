#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/definition.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "storage/db.hpp"
#include "storage/disk_guard.hpp"
#include "storage/group_commit.hpp"
#include "storage/status.hpp"

namespace baton::storage {

/// Filters and cursor of a process listing.
struct process_query {
  std::optional<model::process_status> status;
  std::string definition;
  std::string scope;
  std::string after;  ///< cursor: the last id of the previous page
  std::size_t limit = 100;
  bool sandbox = false;                         ///< list sandbox processes instead of real ones
  std::optional<std::int64_t> created_from_ms;  ///< inclusive
  std::optional<std::int64_t> created_to_ms;    ///< inclusive
  bool newest_first = false;
  std::size_t skip = 0;  ///< matching items passed over first (page-number paging)
  /// Which definitions' processes the caller may see (all when empty). Applied before
  /// paging, so pages stay full and `next` is exact.
  std::function<bool(std::string_view definition)> visible;
  /// A further test on each decoded process (e.g. "parked at an external step"), applied
  /// before paging like `visible`; none when empty.
  std::function<bool(const model::process_state&)> where;
};

struct process_page {
  std::vector<model::process_state> states;  ///< the processes of the page, in order
  std::string next;  ///< cursor for the next page (the last id taken); empty at the end
};

/// How the data folder is kept: see `disk_guard`.
struct store_options {
  bool sync = true;
  std::uint64_t min_free_bytes = disk_guard::from_volume;  ///< 0: no watermark
  std::uint64_t ballast_bytes = disk_guard::from_volume;   ///< 0: no ballast
  std::shared_ptr<fault_switch> faults;  ///< tests only: fails file writes on demand
};

/// The record layout of processes, history, indexes, definitions and idempotency keys.
/// All writes go into a caller's batch (committed by the group committer); reads are direct.
///
/// Every read answers a `result`: an empty optional is "not there", a failed result is "could
/// not read" (I/O error, corruption: a stored record that does not decode), and the two are
/// never confused. A caller must look (`[[nodiscard]]`).
class process_store {
 public:
  /// Opens the database in `data_dir/db` and starts the group committer. The folder and
  /// everything created in it are owner-only; a folder that others could read is made so.
  /// A volume too full to open the store gets the ballast deleted and the open tried again.
  /// What was done to the folder is told in `opening_notes` (for the log, at WARN).
  static result<std::unique_ptr<process_store>> open(const std::string& data_dir,
                                                     store_options options);
  static result<std::unique_ptr<process_store>> open(const std::string& data_dir, bool sync) {
    store_options options;
    options.sync = sync;
    return open(data_dir, options);
  }
  ~process_store();

  db& database() { return *db_; }
  group_committer& committer() { return *committer_; }
  disk_guard& disk() { return *disk_; }
  const std::vector<std::string>& opening_notes() const { return notes_; }

  // ---- processes ----
  /// Snapshot, status index and active marker of `p`; `previous` is the status it had
  /// (none for a new process). @returns the stored snapshot bytes.
  std::string put_process(batch& b, const model::process_state& p,
                          std::optional<model::process_status> previous) const;
  void put_history(batch& b, std::string_view process_id,
                   const std::vector<model::history_entry>& entries) const;
  /// The snapshot's stored bytes, as `baton db dump` and tests see them.
  result<std::optional<std::string>> process_raw(std::string_view id) const;
  /// A mark to take before `process_raw`: while the mark taken anew is the same, the bytes
  /// read are the snapshot still and need not be read again (db::write_mark).
  std::optional<std::uint64_t> snapshot_mark(std::string_view id) const;
  /// A scope's settings record as stored (the scope queue reads it, through a reader).
  result<std::optional<std::string>> scope_settings_raw(std::string_view scope) const;
  /// Decodes into `out` (a fresh process_state) the process that snapshot bytes `stored` of
  /// process `id` hold; failed (naming `id`) when they do not decode.
  static status decode_snapshot(std::string_view id, std::string_view stored,
                                model::process_state& out);
  result<std::optional<model::process_state>> load_process(std::string_view id) const;
  /// The process' history, oldest first. A record that does not decode fails the read.
  result<std::vector<model::history_entry>> history(std::string_view id) const;
  result<process_page> list(const process_query& q) const;
  /// Every non-terminal process, in id (creation) order.
  status for_each_active(const std::function<void(model::process_state)>& visit) const;
  /// Every non-terminal process' id and what it needs after a restart, in id (creation)
  /// order, from the active markers alone: no snapshot is read unless a marker predates
  /// the needs kept there. The id is valid during the call only.
  status for_each_recovery_need(
      const std::function<void(std::string_view, model::recovery_need)>& visit) const;

  // ---- callbacks ----
  /// The callback target of a process, written with its first snapshot.
  void put_callback(batch& b, std::string_view process_id, const model::callback_target& c) const;
  result<std::optional<model::callback_target>> callback(std::string_view process_id) const;
  /// Forgets the target (and the secret in its headers) once nothing more will be reported.
  void erase_callback(batch& b, std::string_view process_id) const;
  /// An undelivered callback: the snapshot at a moment worth reporting, under a key that
  /// sorts by process and then by `seq` (the history sequence of that moment).
  /// @returns the outbox key, which `erase_outbox` takes once it is delivered or given up.
  std::string put_outbox(batch& b, std::string_view process_id, std::uint64_t seq,
                         std::string_view snapshot) const;
  void erase_outbox(batch& b, std::string_view key) const;
  /// Every undelivered callback, in key order (per process, in the order they arose).
  status for_each_outbox(
      const std::function<void(std::string_view key, std::string_view snapshot)>& visit) const;
  result<std::optional<std::string>> outbox_raw(std::string_view key) const;
  /// The process an outbox key belongs to.
  static std::string_view process_of_outbox_key(std::string_view key);

  // ---- definitions ----
  void put_definition(batch& b, const model::definition& d) const;
  /// Every stored version of every definition, oldest version first per name.
  result<std::vector<model::definition>> load_definitions() const;
  // A retired name has one more record, "<name>/retired", after its versions (whose keys end
  // in digits); deploying the name again erases it in the same batch.
  void put_retirement(batch& b, std::string_view name, const model::retirement& r) const;
  void erase_retirement(batch& b, std::string_view name) const;
  /// Every retired definition name with its retirement.
  result<std::map<std::string, model::retirement, std::less<>>> load_retirements() const;
  /// True for a definitions key that holds a retirement rather than a version.
  static bool is_retirement_key(std::string_view key);

  // ---- schedules (storage/schedule_store.cpp) ----
  // A schedule is its record under its id (`encode_schedule_record`) and one record per run
  // under "<id>/<fire ms as 16 hex digits>", of which reads take the newest `max_runs_kept`.
  // A fire writes its run, carrying the schedule's next fire time and status, and not the
  // schedule's record: when the newest run carries a state, it outranks the record's. A
  // record from before runs were stored apart holds its runs itself; they are read too.

  /// Stores `s` as it is: its record, its runs (the newest carrying its state), and the
  /// erasure of every stored run it no longer has. Reads the stored runs: a batch not yet
  /// committed that writes runs of `s` must not be in flight.
  status put_schedule(batch& b, const model::schedule& s) const;
  /// Stores that `s` moved on: past its fires at `fire_times` (their runs, each carrying
  /// `s`'s next fire time and status), or without fires to its present state (its record,
  /// and its newest run carrying that state); and erases its runs `dropped` to make room
  /// (`model::record_run`) unless `s` has a run of that fire time again.
  /// @pre each of `fire_times` is the fire time of a run of `s` or was dropped since.
  void put_schedule_advance(batch& b, const model::schedule& s,
                            std::span<const std::int64_t> fire_times,
                            std::span<const std::int64_t> dropped) const;
  /// Erases the schedule's record, its stored runs and the runs of `s` (a batch in flight
  /// may store those after this read).
  status erase_schedule(batch& b, const model::schedule& s) const;
  result<std::optional<model::schedule>> load_schedule(std::string_view id) const;
  /// The schedule as the API shows it: `encode_schedule` of `load_schedule`.
  result<std::optional<std::string>> schedule_raw(std::string_view id) const;
  result<std::vector<model::schedule>> load_schedules() const;

  // ---- idempotency ----
  result<std::optional<std::string>> idempotent_answer(std::string_view key) const;
  void put_idempotent_answer(batch& b, std::string_view key, std::string_view answer) const;

 private:
  process_store() = default;
  std::unique_ptr<disk_guard> disk_;
  std::unique_ptr<db> db_;
  std::unique_ptr<group_committer> committer_;
  std::vector<std::string> notes_;
  std::shared_ptr<fault_switch> faults_;  ///< tests only
};

}  // namespace baton::storage
