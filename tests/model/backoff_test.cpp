#include "model/backoff.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>

using namespace baton::model;

TEST_CASE("backoff_ms: a fixed wait stays the same", "[model][backoff]") {
  backoff_policy p{backoff_kind::fixed, 250, 2, 10'000, 0, jitter_kind::below};
  for (int attempt = 1; attempt <= 50; ++attempt) CHECK(backoff_ms(p, attempt, 0.7) == 250);
  p.cap_ms = 100;
  CHECK(backoff_ms(p, 1, 0.0) == 100);  // the cap holds for a fixed wait too
}

TEST_CASE("backoff_ms: an exponential wait grows by its multiplier up to the cap",
          "[model][backoff]") {
  backoff_policy p{backoff_kind::exponential, 100, 2, 1000, 0, jitter_kind::below};
  CHECK(backoff_ms(p, 1, 0.5) == 100);
  CHECK(backoff_ms(p, 2, 0.5) == 200);
  CHECK(backoff_ms(p, 4, 0.5) == 800);
  CHECK(backoff_ms(p, 5, 0.5) == 1000);
  CHECK(backoff_ms(p, 1'000'000, 0.5) == 1000);  // the power overflows to inf: still the cap
  CHECK(backoff_ms(p, 0, 0.5) == 100);           // before the first retry counts as the first
  CHECK(backoff_ms(p, -3, 0.5) == 100);
  p.multiplier = 3;
  CHECK(backoff_ms(p, 3, 0.5) == 900);
  p.multiplier = 0.5;  // below 1 it would shrink: read as 1
  CHECK(backoff_ms(p, 3, 0.5) == 100);
}

TEST_CASE("backoff_ms: the process actor's crash restarts keep their old timings",
          "[model][backoff]") {
  // actors/retry.cpp used `100 << min(n, 6)`.
  backoff_policy restarts{backoff_kind::exponential, 200, 2, 6400, 0, jitter_kind::below};
  for (int n = 1; n <= 10; ++n) CHECK(backoff_ms(restarts, n, 0.3) == (100LL << std::min(n, 6)));
}

TEST_CASE("backoff_ms: jitter below only shortens, by at most its fraction", "[model][backoff]") {
  backoff_policy p{backoff_kind::exponential, 1000, 2, 60'000, 0.5, jitter_kind::below};
  CHECK(backoff_ms(p, 1, 0.0) == 1000);
  CHECK(backoff_ms(p, 1, 0.5) == 750);
  CHECK(backoff_ms(p, 1, 0.999) == 500);
  for (double u : {0.0, 0.1, 0.5, 0.9, 0.999999}) {
    auto d = backoff_ms(p, 3, u);
    CHECK(d >= 2000);
    CHECK(d <= 4000);
  }
  p.initial_ms = 100'000;  // capped first, then shortened: never above the cap
  for (double u : {0.0, 0.5, 0.999999}) {
    CHECK(backoff_ms(p, 1, u) <= 60'000);
    CHECK(backoff_ms(p, 1, u) >= 30'000);
  }
}

TEST_CASE("backoff_ms: jitter around spreads both ways, the outbox's ±20 %", "[model][backoff]") {
  backoff_policy p{backoff_kind::exponential, 1000, 2, 300'000, 0.2, jitter_kind::around};
  CHECK(backoff_ms(p, 1, 0.0) == 800);
  CHECK(backoff_ms(p, 1, 0.5) == 1000);
  CHECK(backoff_ms(p, 1, 0.999999) == 1199);
  CHECK(backoff_ms(p, 3, 0.5) == 4000);
  CHECK(backoff_ms(p, 30, 0.0) == 240'000);
  CHECK(backoff_ms(p, 30, 0.999999) == 359'999);  // around the cap: up to 20 % past it
}

TEST_CASE("backoff_ms: out-of-range inputs give bounded waits", "[model][backoff]") {
  backoff_policy p{backoff_kind::exponential, 1000, 2, 8000, 1.0, jitter_kind::around};
  CHECK(backoff_ms(p, 2, -5.0) == 0);    // unit clamped to 0: 2000 × (1 - 1)
  CHECK(backoff_ms(p, 2, 5.0) == 4000);  // unit clamped to 1: 2000 × 2
  p.jitter = 7;                          // clamped to 1
  CHECK(backoff_ms(p, 2, 1.0) == 4000);
  p.jitter = -1;  // clamped to 0
  CHECK(backoff_ms(p, 2, 1.0) == 2000);
  p.initial_ms = 0;
  CHECK(backoff_ms(p, 9, 0.5) == 0);
  p.initial_ms = 1000;
  p.cap_ms = 0;
  CHECK(backoff_ms(p, 9, 0.5) == 0);
}

TEST_CASE("backoff_ms: a seeded source gives the same waits, all within the jitter range",
          "[model][backoff]") {
  backoff_policy p{backoff_kind::exponential, 1000, 2, 16'000, 0.25, jitter_kind::around};
  std::mt19937_64 a{42}, b{42};
  std::set<std::int64_t> seen;
  for (int attempt = 1; attempt <= 200; ++attempt) {
    auto d = backoff_ms(p, attempt, a);
    CHECK(d == backoff_ms(p, attempt, b));
    auto base = std::min<std::int64_t>(16'000, 1000LL << std::min(attempt - 1, 20));
    CHECK(d >= base * 3 / 4);
    CHECK(d < base * 5 / 4);
    if (base == 16'000) seen.insert(d);
  }
  CHECK(seen.size() > 100);  // the draws differ: it is jitter, not a constant

  std::minstd_rand c{7}, d{7};
  CHECK(backoff_ms(p, 3, c) == backoff_ms(p, 3, d));
}

TEST_CASE("unit_draw stays below 1, even at a 64-bit generator's largest value",
          "[model][backoff]") {
  struct largest {
    using result_type = std::uint64_t;
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    result_type operator()() { return max(); }
  } top;
  CHECK(unit_draw(top) < 1.0);
  struct smallest {
    using result_type = std::uint32_t;
    static constexpr result_type min() { return 1; }
    static constexpr result_type max() { return 100; }
    result_type operator()() { return 1; }
  } bottom;
  CHECK(unit_draw(bottom) == 0.0);
}
