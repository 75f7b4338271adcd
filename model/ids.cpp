#include "model/ids.hpp"

#include <algorithm>
#include <cstdio>

namespace baton::model {

std::string id_generator::next(std::int64_t now_ms) {
  // Never go back in time, so ids stay ordered when the wall clock steps backwards.
  last_ms_ = std::max(last_ms_, now_ms);
  ++seq_;
  char buf[25];
  std::snprintf(buf, sizeof buf, "%012llx%04x%08x",
                static_cast<unsigned long long>(last_ms_ & 0xffffffffffffLL), node_, seq_);
  return std::string(buf, 24);
}

bool is_id(std::string_view id) {
  return id.size() == 24 && std::ranges::all_of(id, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string id_from_name(std::string_view name) {
  std::uint64_t h1 = 1469598103934665603ULL, h2 = 1099511628211ULL * 31;
  for (unsigned char c : name) {
    h1 = (h1 ^ c) * 1099511628211ULL;
    h2 = (h2 ^ c) * 1469598103934665603ULL + 7;
  }
  char buf[25];
  std::snprintf(buf, sizeof buf, "%016llx%08x", static_cast<unsigned long long>(h1),
                static_cast<unsigned>(h2 & 0xffffffff));
  return std::string(buf, 24);
}

}  // namespace baton::model
