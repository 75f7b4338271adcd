#pragma once

#include <chrono>
#include <random>
#include <string>

#include "tests/support/baton_server.hpp"

/// The chaos driver's fault (issue 21): a kill -9 at a random moment, then a restart on the
/// same data folder.
namespace baton::test::chaos {

/// Waits a random 200 ms to 1.5 s (the moment is the fault: where the workload is then is
/// what the round tests), then kills the server with SIGKILL. @returns the wait chosen.
std::chrono::milliseconds kill_at_random_moment(baton_server& server, std::mt19937_64& rng);

/// Starts the server again on its data folder and waits until /readyz answers 200.
/// @returns false, with the server's output in `error`, when it is not ready by `until`.
bool restart(baton_server& server, std::chrono::steady_clock::time_point until, std::string& error);

}  // namespace baton::test::chaos
