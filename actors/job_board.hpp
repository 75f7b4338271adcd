#pragma once

#include <atomic>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "actors/messages.hpp"

namespace baton::actors {

struct engine_context;

/// What /metrics shows of the job board: jobs by type and state, activations, lease expiries.
struct job_counters {
  mutable std::mutex mutex;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_type;  ///< waiting, leased
  std::atomic<std::uint64_t> leased{0};                                  ///< jobs handed to workers
  std::atomic<std::uint64_t> latency_ms_sum{0};  ///< waiting → leased, summed
  std::atomic<std::int64_t> latency_ms_max{0};
  std::atomic<std::uint64_t> lease_expiries{0};
  std::atomic<std::int64_t> polls_parked{0};  ///< long polls waiting for a job, now
};

/// The jobs of this node's processes that workers may pull, by type, and the workers' long
/// polls waiting for them. It holds no durable state: each process tells it (`job_changed`)
/// where its job step stands after every durable transition, and a job is leased through its
/// process, which writes the lease like any transition before the worker hears of it. After a
/// restart, recovery loads every process at a job step, which tells the board again.
///
///   job_changed(waiting) ─► a poll parked for its type? ─no──► wait, oldest first
///                            └─yes─► its max waiting, or no hold? ─yes─► lease ─► answer the poll
///                                    └─no──► hold, then lease what came ─► answer the poll
///   activate ─► jobs waiting? ─yes─► lease up to max through their processes ─► answer
///                            └─no──► park until one comes; when `wait_ms` ends, lease what a
///                                    hold kept for it, or answer empty
/// A job being leased is offered to nobody else; a refused lease (the step moved on) drops it.
using job_board_actor =
    caf::typed_actor<caf::reacts_to<job_changed>, caf::replies_to<activate_jobs>::with<job_batch>,
                     caf::replies_to<job_list_query>::with<std::vector<job_info>>,
                     caf::reacts_to<wait_atom, std::uint64_t>, caf::reacts_to<cancel_activation>,
                     caf::reacts_to<hold_atom, std::string>>;

job_board_actor spawn_job_board(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
