#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/chaos_fault.hpp"
#include "tests/chaos/chaos_oracle.hpp"
#include "tests/chaos/chaos_workload.hpp"
#include "tests/e2e/stub_server.hpp"

// Chaos with an oracle (issue 21): rounds of a mixed workload against the real binary, each
// ended by a kill -9 at a random moment and checked after the restart. CHAOS_ROUNDS sets the
// number of rounds (5 by default), CHAOS_SEED replays a run: every failure prints it.

using namespace baton::test;
using namespace baton::test::chaos;
using namespace std::chrono_literals;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

constexpr int workload_threads = 2;

/// The endpoint of the http steps: a 500 for about half the calls, so that fetches retry,
/// some succeed on a later attempt and some run out of attempts.
class flaky_endpoint {
 public:
  explicit flaky_endpoint(std::uint64_t seed)
      : rng_(seed), stub_([this](const stub_request&, std::size_t) {
          std::lock_guard lock(mutex_);
          if (std::bernoulli_distribution(0.5)(rng_)) return stub_reply{500, R"({"error":"x"})"};
          return stub_reply{200, R"({"ok":true})"};
        }) {}
  const stub_server& stub() const { return stub_; }

 private:
  std::mutex mutex_;
  std::mt19937_64 rng_;
  stub_server stub_;
};

/// POST /api/v1/schedules: every second, in the round's tick scope. @returns its id; empty
/// with `error` set when refused.
std::string create_schedule(std::uint16_t port, const round_names& names, std::string& error) {
  auto r = http_call(
      port, "POST", "/api/v1/schedules",
      R"({"definition":"ChaosTick","values":{"round":)" + std::to_string(names.round) +
          R"(},"cron":"* * * ? * *","timeZone":"UTC","scope":")" + names.tick_scope + "\"}");
  if (r.status != 201) {
    error = "POST /api/v1/schedules: " + std::to_string(r.status) + " " + r.body;
    return {};
  }
  return e2e::text(e2e::parse(r.body).as_object(), "id");
}

struct round_result {
  violations found;
  std::size_t starts = 0;
  std::size_t completions = 0;
  std::chrono::milliseconds killed_after{0};
  std::int64_t killed_at_ms = 0;
};

/// Everything the oracle checks after a round's restart, each finding handed to `add`.
void check_round(std::uint16_t port, const round_names& names, const std::string& schedule_id,
                 std::int64_t restarted_ms, const ledger& book, const stub_server& endpoint,
                 const stub_server& receiver, const std::function<void(violations)>& add) {
  const auto settle = std::chrono::seconds(env_number("CHAOS_SETTLE_SECONDS", 30));
  const auto starts = book.starts();
  const auto completions = book.completions();
  add(book.refusals());
  add(check_starts_kept(port, starts));
  add(check_completions_kept(port, completions));
  auto until = std::chrono::steady_clock::now() + settle;
  add(check_schedule(port, schedule_id, names, restarted_ms, until));
  add(drive_to_end(port, names, starts, until));
  add(check_histories(port, starts));
  add(check_outputs(port, completions));
  add(check_scopes(port, names, starts));
  add(check_http_steps(port, starts, endpoint));
  add(check_callbacks(port, starts, receiver, until));

  // The next round's schedule is its own; this one would only add load.
  auto removed = http_call(port, "DELETE", "/api/v1/schedules/" + schedule_id);
  if (removed.status != 204) {
    add({"DELETE schedule " + schedule_id + ": " + std::to_string(removed.status)});
  }
}

round_result run_round(baton_server& server, int round, std::mt19937_64& rng,
                       const stub_server& endpoint, const stub_server& receiver) {
  round_result result;
  auto& found = result.found;
  const auto names = names_for(round);
  std::string error;
  if (!set_scope_limits(server.port(), names, error)) return {{error}};
  auto schedule_id = create_schedule(server.port(), names, error);
  if (schedule_id.empty()) return {{error}};

  // ---- the workload, killed at a random moment ----
  ledger book;
  workload load(server.port(), names, endpoint.url("/fetch"), receiver.url("/callback"), book);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < workload_threads; ++t) {
    threads.emplace_back([&, seed = rng()] { load.run(seed, stop); });
  }
  result.killed_after = kill_at_random_moment(server, rng);
  result.killed_at_ms = wall_ms();
  stop = true;
  for (auto& t : threads) t.join();

  const auto settle = std::chrono::seconds(env_number("CHAOS_SETTLE_SECONDS", 30));
  if (!restart(server, std::chrono::steady_clock::now() + settle, error)) return {{error}};
  const auto port = server.port();
  const auto restarted_ms = wall_ms();
  result.starts = book.starts().size();
  result.completions = book.completions().size();

  // ---- the oracle ----
  auto add = [&](violations v) { found.insert(found.end(), v.begin(), v.end()); };
  try {
    check_round(port, names, schedule_id, restarted_ms, book, endpoint, receiver, add);
  } catch (const std::exception& e) {  // an answer the oracle cannot read is a finding too
    found.push_back(std::string("the oracle stopped: ") + e.what());
  }
  return result;
}

}  // namespace

TEST_CASE("kill -9 at random moments under a mixed workload breaks no promise", "[chaos]") {
  const auto seed = env_number("CHAOS_SEED", std::random_device{}());
  const auto rounds = static_cast<int>(env_number("CHAOS_ROUNDS", 5));
  std::mt19937_64 rng(seed);
  WARN("chaos: CHAOS_SEED=" << seed << " CHAOS_ROUNDS=" << rounds);

  flaky_endpoint endpoint(rng());
  stub_server receiver([](const stub_request&, std::size_t) { return stub_reply{}; });
  e2e::definitions_folder defs;
  add_chaos_definitions(defs);
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  baton_server server(opts);

  std::size_t starts = 0, completions = 0;
  for (int round = 1; round <= rounds; ++round) {
    auto result = run_round(server, round, rng, endpoint.stub(), receiver);
    // A line per round, so that a long run shows how far it got.
    std::fprintf(stderr, "chaos round %d: killed %lld ms in, %zu starts, %zu completions\n", round,
                 static_cast<long long>(result.killed_after.count()), result.starts,
                 result.completions);
    starts += result.starts;
    completions += result.completions;
    if (!result.found.empty()) {
      std::ostringstream report;
      report << "replay with CHAOS_SEED=" << seed << " (round " << round << " of " << rounds
             << ", killed " << result.killed_after.count() << " ms in, at " << result.killed_at_ms
             << " ms, " << result.starts << " starts and " << result.completions
             << " completions acknowledged):";
      for (const auto& v : result.found) report << "\n  " << v;
      FAIL(report.str());
    }
  }
  // The rounds did something: a run that acknowledged nothing checked nothing.
  CHECK(starts > 0);
  CHECK(completions > 0);
  WARN("chaos: " << rounds << " rounds, " << starts << " starts and " << completions
                 << " completions acknowledged, no violation");
}
