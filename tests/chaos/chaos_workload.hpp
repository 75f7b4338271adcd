#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

/// The chaos driver's workload (issue 21): what it sends to a real `baton` while the fault
/// kills it, and the ledger of every request the server acknowledged, which the oracle
/// holds the server to after the restart.
namespace baton::test::chaos {

/// What a chaos process runs.
enum class work_kind {
  approval,  ///< ChaosWork: an external step completed with `ok`, then a script
  nap,       ///< ChaosNap: a 200 ms timer, then a script
  fetch,     ///< ChaosFetch: an http step against the flaky stub (3 attempts), with a callback
};

/// A start the server answered 201 to. `sent`/`acked` come from one counter shared by all
/// workload threads: start A was acknowledged before start B was sent iff A.acked < B.sent.
struct acked_start {
  std::string id;
  work_kind kind = work_kind::approval;
  std::string scope;   ///< empty: none
  std::int64_t n = 0;  ///< the approval's `ok`, and the fetch's tag
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
};

/// A completion of ChaosWork's `approve` step the server answered 200 to.
struct acked_completion {
  std::string id;
  std::int64_t ok = 0;
};

/// The names a round uses; scopes are new each round, so that a round's checks read only
/// its own processes.
struct round_names {
  int round = 0;
  std::string scope_one;    ///< limit 1
  std::string scope_three;  ///< limit 3
  std::string tick_scope;   ///< the schedule's processes
};
round_names names_for(int round);

/// The definitions the workload starts (for `server_options::definitions`).
void add_chaos_definitions(e2e::definitions_folder& defs);

/// Everything acknowledged in one round. Thread-safe.
class ledger {
 public:
  void add_start(acked_start s);
  void add_completion(acked_completion c);
  /// A 4xx answer: the driver sent something wrong.
  void add_refusal(std::string what);
  std::vector<std::string> refusals() const;
  std::vector<acked_start> starts() const;
  std::vector<acked_completion> completions() const;
  /// Claims an acknowledged, not yet completed approval for one thread to complete; false
  /// when there is none. `out` gets it.
  bool claim_approval(std::mt19937_64& rng, acked_start& out);
  /// Gives back a claim whose completion was not acknowledged.
  void release_claim(const std::string& id);

 private:
  mutable std::mutex mutex_;
  std::vector<acked_start> starts_;
  std::vector<acked_completion> completions_;
  std::vector<std::string> refusals_;
  std::set<std::string> claimed_;  ///< approvals being completed or completed
};

/// One round's load: `threads` threads each send a random mix (starts in and out of the
/// round's scopes, completions, naps, fetches) until the server stops answering or `stop`.
class workload {
 public:
  workload(std::uint16_t port, round_names names, std::string fetch_url, std::string callback_url,
           ledger& book);

  /// Sends requests from this thread until a connection fails or `stop` is set.
  void run(std::uint64_t seed, const std::atomic<bool>& stop);

 private:
  bool start_approval(std::mt19937_64& rng);
  bool start_nap();
  bool start_fetch();
  bool complete_one(std::mt19937_64& rng);
  /// POST /api/v1/processes with `body`; records a 201. @returns false when the server is gone.
  bool send_start(const std::string& body, acked_start s);

  std::uint16_t port_;
  round_names names_;
  std::string fetch_url_;
  std::string callback_url_;
  ledger& book_;
};

/// The shared order counter (see `acked_start`).
std::uint64_t next_tick();

/// Sets the limits of the round's scopes (1 and 3). @returns false on any answer but 200.
bool set_scope_limits(std::uint16_t port, const round_names& names, std::string& error);

}  // namespace baton::test::chaos
