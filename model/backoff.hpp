#pragma once

#include <cstdint>

namespace baton::model {

/// How the wait grows from one try to the next.
enum class backoff_kind : std::uint8_t { fixed, exponential };

/// Where the random part of a wait falls.
enum class jitter_kind : std::uint8_t {
  below,  ///< in [delay × (1 − jitter), delay]: never longer than the policy says (step retries)
  around,  ///< in [delay × (1 − jitter), delay × (1 + jitter)): spread both ways (callbacks)
};

/// The wait before a try that follows a failure. Jitter spreads the tries of many failures
/// that began together (a receiver's outage, a crash storm) so that they do not all come back
/// in the same instant.
struct backoff_policy {
  backoff_kind kind = backoff_kind::exponential;
  std::int64_t initial_ms = 1000;  ///< the wait before the first retry
  double multiplier = 2;           ///< exponential: the growth per retry, 1 or more
  std::int64_t cap_ms = 60'000;    ///< the longest wait before jitter
  double jitter = 0;               ///< 0..1: the fraction of the wait drawn at random
  jitter_kind spread = jitter_kind::below;
};

/// The wait before retry number `attempt` (1 = the first retry, after the first failure):
/// `initial_ms` (fixed) or `initial_ms × multiplier^(attempt − 1)` (exponential), capped at
/// `cap_ms`, then moved by jitter as `spread` says using `unit`; rounded down to whole ms.
/// Pure: the same arguments give the same wait.
/// @pre `unit` in [0, 1) (a uniform draw; values outside are clamped), `attempt` ≥ 1 (less
///      counts as 1).
/// @returns ≥ 0; at most `cap_ms` (`below`) or `cap_ms × (1 + jitter)` (`around`).
std::int64_t backoff_ms(const backoff_policy& policy, int attempt, double unit);

/// A uniform draw in [0, 1) from a standard random bit generator (`std::mt19937_64`,
/// `std::minstd_rand`, ...), the same on every platform for the same seed.
template <class Generator>
double unit_draw(Generator& source) {
  auto range = static_cast<double>(Generator::max() - Generator::min()) + 1.0;
  auto unit = static_cast<double>(source() - Generator::min()) / range;
  return unit < 1.0 ? unit : 0x1.fffffffffffffp-1;  // a 64-bit draw may round up to 1
}

/// `backoff_ms` with the jitter drawn from `source`.
template <class Generator>
std::int64_t backoff_ms(const backoff_policy& policy, int attempt, Generator& source) {
  return backoff_ms(policy, attempt, unit_draw(source));
}

}  // namespace baton::model
