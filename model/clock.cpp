#include "model/clock.hpp"

#include <chrono>

namespace baton::model {

std::int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace baton::model
