#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/engine.hpp"
#include "actors/process_launch.hpp"
#include "model/ids.hpp"
#include "model/schedule.hpp"
#include "storage/db.hpp"

namespace baton::actors {

struct engine_context;

/// The start of the process of `s`'s fire at `fire_ms`, with the idempotency key
/// "schedule:<id>:<fire ms>" that makes a fire fired twice (after a crash) start one process.
start_request fire_request(const model::schedule& s, std::int64_t fire_ms);

/// Whether a fire of `s` can be written by a `fire_batch`: it needs no live check (overlap
/// `skip`) and no scope slot (a scope, or overlap `queue`), which only the actors can give.
bool batchable(const model::schedule& s);

/// A schedule written by a `fire_batch`, with the fire time to arm once it is durable (0:
/// none, or the schedule is no longer active). Kept here so that settling the batch needs no
/// lookup among all schedules (a cache miss or two each, with 100k of them).
struct batched_schedule {
  std::weak_ptr<model::schedule> schedule;  ///< expired: deleted meanwhile
  std::int64_t arm_ms = 0;
};

/// One fire in a `fire_batch`, and what remains to do once the batch is durable.
struct batched_fire {
  std::uint32_t schedule = 0;  ///< index into the batch's `schedules`
  std::int64_t fire_ms = 0;
  bool created = false;  ///< a new process was written (else an earlier run had stored it)
  std::optional<model::process_status> finished;  ///< the new process ended at once
  /// The new process did not end at once and its effects (an http call, a timer) need its
  /// actor: launched from the stored state, performing them. Behind a pointer: a launch is
  /// ~1 KB, and a batch's thousand fires are moved as they are added and settled (shared,
  /// because a CAF 0.17 message must be copyable).
  std::shared_ptr<process_launch> actor;
};

/// The writes of many schedule fires in one RocksDB batch: each fire's new process
/// (snapshot, indexes, history, idempotency key) and run, carrying its schedule's advance,
/// so that a fire and its schedule moving on are durable together or not at all. One commit
/// for thousands of fires replaces a start message, a process actor and two commits per fire.
class fire_batch {
 public:
  /// @param process_ids makes the new processes' ids; owned by the caller (not thread-safe)
  fire_batch(engine_context& ctx, model::id_generator& process_ids);

  /// Adds the fires of `plan`, planned for `s` at `now_ms`, and `s`'s advance past them: their
  /// runs are recorded in `s`, which moves on to the plan's next fire time and status, and
  /// both are written. Nothing of it counts before the batch is durable.
  /// `look_up_earlier`: `s` was restored from disk, so a run before a crash may have stored a
  /// fire's process already; then that one counts.
  void add_fires(const std::shared_ptr<model::schedule>& s, const model::fire_plan& plan,
                 bool look_up_earlier, std::int64_t now_ms);

  std::size_t fires() const { return fires_.size(); }
  bool empty() const { return fires_.empty() && schedules_.empty(); }

  /// What a full batch hands over: the writes to commit, then what to settle once durable.
  struct contents {
    storage::batch writes;
    std::vector<batched_fire> fires;
    std::vector<batched_schedule> schedules;
  };
  /// Empties the batch. @returns what it held.
  contents take();

 private:
  /// The fire of `s` at `fire_ms`. @returns its run: its process, or why none was started.
  model::schedule_run add_fire(const model::schedule& s, std::int64_t fire_ms, std::string note,
                               bool look_up_earlier, std::int64_t now_ms);
  /// The index the schedule of the fires being added gets in `schedules_`.
  std::uint32_t next_schedule() const { return static_cast<std::uint32_t>(schedules_.size()); }

  engine_context& ctx_;
  model::id_generator& ids_;
  storage::batch writes_;
  std::vector<batched_fire> fires_;
  std::vector<batched_schedule> schedules_;
  std::vector<std::int64_t> dropped_;  ///< runs the fires being added dropped; reused
};

}  // namespace baton::actors
