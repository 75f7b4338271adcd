#include "http/request_id.hpp"

namespace baton::http {

namespace {

constexpr std::size_t max_request_id = 128;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

// splitmix64 is a bijection, and its input (session number, request number) never repeats
// while a connection serves fewer than 2^24 requests.
std::string make_request_id(std::uint64_t seed, std::uint64_t session, std::uint64_t n) {
  static constexpr char hex[] = "0123456789abcdef";
  auto x = splitmix64(seed ^ ((session << 24) | (n & 0xFFFFFF)));
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, x >>= 4) id[static_cast<std::size_t>(i)] = hex[x & 0xF];
  return id;
}

bool usable_request_id(std::string_view id) {
  if (id.empty() || id.size() > max_request_id) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

}  // namespace baton::http
