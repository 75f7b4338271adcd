#include "model/ids.hpp"

#include <algorithm>
#include <cstdio>

namespace baton::model {

namespace {

/// Writes the low `digits` hex digits of `v`, zero-padded: snprintf cost a few hundred
/// instructions per id, and an id is made on every start.
char* put_hex(char* out, std::uint64_t v, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[i] = hex[v & 0xF];
  return out + digits;
}

}  // namespace

std::string id_generator::next(std::int64_t now_ms, std::uint16_t node) {
  // Never go back in time, so ids stay ordered when the wall clock steps backwards.
  last_ms_ = std::max(last_ms_, now_ms);
  ++seq_;
  std::string id(24, '0');
  auto* p = put_hex(id.data(), static_cast<std::uint64_t>(last_ms_) & 0xffffffffffffULL, 12);
  p = put_hex(p, node & 0xffffU, 4);
  put_hex(p, seq_, 8);
  return id;
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
