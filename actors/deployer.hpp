#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/messages.hpp"
#include "actors/scheduler.hpp"

namespace baton::actors {

struct engine_context;

/// The one way definitions are deployed: numbers versions per name and stores each before it
/// can be started. Reads (`definition_registry`) stay lock-shared on any thread.
///
///   deploy ─► same source as the latest? ─yes─► answer it (created = false)
///                 │ no
///                 └─► next version ─► persist ─► durable? ─yes─► registry += it ─► answer
///                                                         └─no──► version given back ─► error
///
///   retire ─► unknown? ─► not_found;  retired already? ─► answer that retirement
///                 └─► persist "<name>/retired" ─► durable? ─yes─► registry retires it ─► answer
/// A deploy of a retired name (even of the same source) persists the erasure of that record
/// with its version, and the registry restores the name once it is durable.
using deployer_actor = caf::typed_actor<caf::replies_to<deploy_definition>::with<deploy_answer>,
                                        caf::replies_to<retire_definition>::with<retire_answer>,
                                        caf::reacts_to<write_done>>;

/// Spawns the deployer monitored by `parent` (the scheduler, its supervisor).
deployer_actor spawn_deployer(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
