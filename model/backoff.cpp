#include "model/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace baton::model {

std::int64_t backoff_ms(const backoff_policy& policy, int attempt, double unit) {
  if (policy.initial_ms <= 0 || policy.cap_ms <= 0) return 0;
  // In double: 2^5000 is inf, and min() turns it into the cap instead of overflowing.
  double delay = static_cast<double>(policy.initial_ms);
  if (policy.kind == backoff_kind::exponential && attempt > 1) {
    delay *= std::pow(std::max(1.0, policy.multiplier), attempt - 1);
  }
  delay = std::min(delay, static_cast<double>(policy.cap_ms));
  double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  unit = std::clamp(unit, 0.0, 1.0);
  if (policy.spread == jitter_kind::below) {
    delay *= 1.0 - jitter * unit;
  } else {
    delay *= 1.0 + jitter * (2.0 * unit - 1.0);
  }
  return static_cast<std::int64_t>(std::max(0.0, delay));
}

}  // namespace baton::model
