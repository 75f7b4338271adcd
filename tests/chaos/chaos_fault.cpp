#include "tests/chaos/chaos_fault.hpp"

#include <thread>

#include "tests/e2e/e2e_support.hpp"

namespace baton::test::chaos {

std::chrono::milliseconds kill_at_random_moment(baton_server& server, std::mt19937_64& rng) {
  std::chrono::milliseconds moment(std::uniform_int_distribution<int>(200, 1500)(rng));
  std::this_thread::sleep_for(moment);
  server.kill9();
  return moment;
}

bool restart(baton_server& server, std::chrono::steady_clock::time_point until,
             std::string& error) {
  server.start();
  if (e2e::wait_ready(server.port(), until)) return true;
  auto output = server.output();
  if (output.size() > 4000) output.erase(0, output.size() - 4000);  // the newest lines tell
  error = "not ready after the restart:\n" + output;
  return false;
}

}  // namespace baton::test::chaos
