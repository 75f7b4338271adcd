#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/chaos_workload.hpp"
#include "tests/e2e/stub_server.hpp"

/// The chaos oracle (issue 21): after a round's kill -9 and restart, each check reads the
/// API and the history and returns what the server got wrong, one line per violation with
/// the ids to look at. None of them sleeps a guessed time: they poll toward a deadline.
namespace baton::test::chaos {

using violations = std::vector<std::string>;
using deadline = std::chrono::steady_clock::time_point;

/// Every acknowledged start is there.
violations check_starts_kept(std::uint16_t port, const std::vector<acked_start>& starts);

/// Every acknowledged completion is there: the step completed, the process went on.
violations check_completions_kept(std::uint16_t port,
                                  const std::vector<acked_completion>& completions);

/// Completes every approval still open (the acknowledged ones, and those in the round's
/// scopes whose start was in flight at the kill) and waits until every acknowledged process
/// and every process in the round's scopes has ended. What has not by `until` is stuck.
violations drive_to_end(std::uint16_t port, const round_names& names,
                        const std::vector<acked_start>& starts, deadline until);

/// Each process' history counts on without gap or repeat, shows one admission and one end,
/// and each step execution started once (a step run again after the restart shows here).
/// @pre the processes have ended.
violations check_histories(std::uint16_t port, const std::vector<acked_start>& starts);

/// Approvals ended with the param of their acknowledged completion.
violations check_outputs(std::uint16_t port, const std::vector<acked_completion>& completions);

/// Within each scope, from the history: never more running than its limit, and a start
/// acknowledged before another was sent was admitted no later. @pre every process in the
/// round's scopes has ended (`drive_to_end`).
violations check_scopes(std::uint16_t port, const round_names& names,
                        const std::vector<acked_start>& starts);

/// The every-second schedule fired each second from its creation on exactly once (the
/// seconds missed while the server was down too: a downtime under a minute is within the
/// misfire threshold), each fire started its own process, and nothing else started in its
/// scope. Waits until the schedule has fired a second after `from_ms`.
violations check_schedule(std::uint16_t port, const std::string& schedule_id,
                          const round_names& names, std::int64_t from_ms, deadline until);

/// Every fetch ended as its retry policy says (succeeded on an answered 200 within three
/// attempts, or failed after exactly three failed attempts), and each failed attempt for an
/// answer is one the endpoint saw. @pre the fetches have ended.
violations check_http_steps(std::uint16_t port, const std::vector<acked_start>& starts,
                            const stub_server& endpoint);

/// The callback outbox delivered each fetch's end (its id and final status) at least once.
violations check_callbacks(std::uint16_t port, const std::vector<acked_start>& starts,
                           const stub_server& receiver, deadline until);

/// Wall-clock epoch milliseconds (the server's history times are on it).
std::int64_t wall_ms();

}  // namespace baton::test::chaos
