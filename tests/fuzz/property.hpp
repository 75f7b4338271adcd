#pragma once

// What a fuzz target asserts. A broken property aborts, so libFuzzer saves the input as a
// crash and the run fails, exactly as for a sanitizer report.

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace baton::fuzz {

/// Aborts with `what` (and `input`, the text under test, when given) unless `holds`.
inline void require(bool holds, std::string_view what, std::string_view input = {}) {
  if (holds) return;
  std::fprintf(stderr, "property broken: %.*s\n  input: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace baton::fuzz
