#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "actors/idle_watch.hpp"
#include "actors/job_board.hpp"
#include "actors/outbox.hpp"
#include "actors/partition_owner.hpp"
#include "actors/scheduler.hpp"
#include "config/settings.hpp"
#include "model/cluster.hpp"
#include "outgoing/delegate_client.hpp"
#include "storage/process_store.hpp"

namespace baton::actors {

/// The handle of a long-lived actor that the scheduler replaces when it fails. Read from
/// every thread, hence the lock: a handle copy is a reference count, and reading one while it
/// is replaced is a race.
template <class Handle>
class replaceable_handle {
 public:
  Handle get() const {
    std::lock_guard lock(mutex_);
    return handle_;
  }
  void set(Handle h) {
    std::lock_guard lock(mutex_);
    handle_ = std::move(h);
  }

 private:
  mutable std::mutex mutex_;
  Handle handle_;
};

/// What every actor of one engine shares: settings, storage, definitions, the outside
/// world, the long-lived actors, and counters for /metrics.
struct engine_context {
  config::settings settings;
  storage::process_store& store;
  outgoing::delegate_client& delegates;
  engine::clock_ms now_ms;
  definition_registry definitions;

  /// The one entry point: it hands schedules, deploys and retries on to the system actors it
  /// supervises.
  scheduler_actor scheduler;
  /// Where process actors report durable outbox entries (`callback_due`); replaced when
  /// the scheduler restarts a failed outbox (`start_outbox`).
  outbox_actor outbox() const { return outbox_.get(); }
  /// Spawns an outbox, makes it the one `outbox()` names, then tells it to scan the store
  /// (`outbox_scan`): an entry signalled to the one before (which may have failed) was
  /// durable before this scan, and every later signal reaches the new one. Set by the
  /// engine before the first process runs.
  std::function<outbox_actor()> start_outbox{};
  void set_outbox(outbox_actor a) { outbox_.set(std::move(a)); }
  /// Where process actors report their job steps (`job_changed`) and workers poll for them;
  /// replaced when the scheduler restarts a failed board.
  job_board_actor job_board() const { return job_board_.get(); }
  void set_job_board(job_board_actor board) { job_board_.set(std::move(board)); }
  /// Actors that read the disk (store readers, the trigger, the outbox) get a thread each, so
  /// that a slow read never holds a thread the scheduler and the processes share; not on the
  /// test coordinator, whose virtual time needs every actor on its one thread.
  bool detached_readers = true;
  /// This node's partitions in a cluster; null on a single node.
  partition_owner* cluster = nullptr;

  /// Whether this node runs process `id` (always, on a single node).
  bool owns_process(std::string_view id) const {
    return !cluster || cluster->epoch_of(model::partition_of_id(id, cluster->partitions()));
  }
  /// The write scope of process `id`'s records: its partition, fenced on the epoch under which
  /// its actor loaded it (`epoch`; -1 when this node did not own it then, which no owner has).
  storage::write_scope process_scope(std::string_view id, std::int64_t epoch) const {
    if (!cluster) return {};
    return {model::partition_of_id(id, cluster->partitions()), epoch};
  }
  /// The epoch process `id`'s actor loads it under (0 on a single node).
  std::int64_t epoch_for(std::string_view id) const {
    if (!cluster) return 0;
    return cluster->epoch_of(model::partition_of_id(id, cluster->partitions())).value_or(-1);
  }
  /// The write scope of schedule `id`'s records and fires (the current owner's epoch: the
  /// trigger lets go of a partition's schedules when the partition goes).
  storage::write_scope schedule_scope(std::string_view id) const {
    if (!cluster) return {};
    return {model::partition_of_id(id, cluster->partitions()), 0};
  }
  /// Whether this node fires schedule `id` (always, on a single node).
  bool owns_schedule(std::string_view id) const { return owns_process(id); }
  /// The write scope of scope `name`'s records (the current owner's epoch).
  storage::write_scope scope_scope(std::string_view name) const {
    if (!cluster) return {};
    return {model::partition_of_scope(name, cluster->partitions()), 0};
  }

  /// Schedule starts the trigger has out at once (starts sent one by one, and schedules in
  /// fire batches not yet durable); further fires of the same tick wait for answers. Sending a
  /// whole cron second (100k starts) at once kept every process actor, start message and answer
  /// alive together and let the heap sprawl (see perf notes).
  std::size_t max_fire_starts_in_flight = 2048;
  std::atomic<std::uint64_t> schedule_fires{0};
  std::atomic<std::int64_t> schedule_lag_ms_max{0};

  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> cancelled{0};
  std::atomic<std::int64_t> active{0};  ///< non-terminal processes stored
  std::atomic<std::int64_t> live{0};    ///< process actors in memory
  std::atomic<std::uint64_t> rehydrated{0};
  std::atomic<std::uint64_t> forwarded{0};  ///< commands sent to the owner of their partition
  std::atomic<std::uint64_t> passivated{0};
  /// Idempotent starts answered with the answer of the key's first start: a client's retry, or
  /// a parent starting its children again after a restart.
  std::atomic<std::uint64_t> starts_replayed{0};
  std::atomic<bool> ready{false};
  std::shared_ptr<outbox_counters> callbacks = std::make_shared<outbox_counters>();
  std::shared_ptr<job_counters> jobs_counted = std::make_shared<job_counters>();

  /// Told by a process actor once a message step's wait is durable (`mailroom::awaited`); set
  /// once before the first process runs.
  std::function<void(const std::string& name, const std::string& correlation)> message_awaited{};

  std::chrono::milliseconds passivate_after() const { return settings.engine.passivate_after; }
  /// Where idle process actors wait out `passivate_after`, and the actor that tells them when
  /// it passed (`maybe_idle` in process.cpp); the watch is set before the first process runs.
  std::shared_ptr<idle_line> idle = std::make_shared<idle_line>();
  idle_watch_actor idle_watch{};

  // Behind their accessors only (public: the context is an aggregate).
  replaceable_handle<outbox_actor> outbox_{};
  replaceable_handle<job_board_actor> job_board_{};
};

}  // namespace baton::actors
