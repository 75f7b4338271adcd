#pragma once

#include <cstdint>
#include <functional>

namespace baton::model {

/// Wall time in ms since the Unix epoch: the one way Baton reads the time of day. Whatever
/// stamps, expires, schedules or reports an instant takes a `clock_ms` instead of reading
/// `std::chrono::system_clock`, so that tests drive it (the actor tests hand the engine CAF's
/// virtual time) and no two parts of one request disagree about "now".
///
/// Not for measuring how long something takes: deadlines and durations that never leave the
/// process (the group commit's linger and stall timing in storage/, request and idle timeouts
/// in http/ sessions, the outgoing client's timers) read `std::chrono::steady_clock`, which
/// does not jump when the wall clock is set.
///
/// Must be callable from any thread.
using clock_ms = std::function<std::int64_t()>;

/// The real clock: `std::chrono::system_clock`, in ms since the epoch.
std::int64_t system_clock_ms();

}  // namespace baton::model
