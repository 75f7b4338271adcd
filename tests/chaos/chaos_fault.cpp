#include "tests/chaos/chaos_fault.hpp"

#include <thread>

#include "tests/support/test_client.hpp"

namespace baton::test::chaos {

using namespace std::chrono_literals;

std::chrono::milliseconds kill_at_random_moment(baton_server& server, std::mt19937_64& rng) {
  std::chrono::milliseconds moment(std::uniform_int_distribution<int>(200, 1500)(rng));
  std::this_thread::sleep_for(moment);
  server.kill9();
  return moment;
}

bool restart(baton_server& server, std::chrono::steady_clock::time_point until,
             std::string& error) {
  server.start();
  for (;;) {
    try {
      if (http_call(server.port(), "GET", "/readyz").status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(20ms);  // polling interval
  }
  auto output = server.output();
  if (output.size() > 4000) output.erase(0, output.size() - 4000);  // the newest lines tell
  error = "not ready after the restart:\n" + output;
  return false;
}

}  // namespace baton::test::chaos
