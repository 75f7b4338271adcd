#include "model/cluster.hpp"

#include <algorithm>

namespace baton::model {

namespace {

/// How much node `node` wants partition `p`: a stable hash (FNV-1a, then a finaliser), the
/// same on every machine and build.
std::uint64_t weight(std::string_view node, std::uint32_t p) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (unsigned char c : node) mix(c);
  mix('/');
  for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(p >> (8 * i)));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::vector<std::string> assign_partitions(std::vector<std::string> live,
                                           std::uint32_t partitions) {
  std::vector<std::string> owners(partitions);
  if (live.empty()) return owners;
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  // Rendezvous hashing with bounded loads: each partition goes to the node that wants it most
  // among those with room. Room is the even share: floor(P/n) each, and floor + 1 for the
  // first P mod n nodes to reach floor. Unlike round robin, the nodes that stay keep most of
  // theirs when one leaves (a move costs a takeover), and the answer is still a function of
  // the live set alone, so a node that rejoins gets the same partitions back.
  const std::size_t n = live.size();
  const std::size_t floor_share = partitions / n;
  std::size_t extra_left = partitions % n;
  std::vector<std::size_t> count(n, 0);
  std::vector<std::size_t> order(n);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      auto wa = weight(live[a], p), wb = weight(live[b], p);
      return wa != wb ? wa > wb : a < b;
    });
    for (auto i : order) {
      if (count[i] < floor_share || (count[i] == floor_share && extra_left > 0)) {
        if (count[i] == floor_share) --extra_left;
        ++count[i];
        owners[p] = live[i];
        break;
      }
    }
  }
  return owners;
}

std::uint32_t partition_of_id(std::string_view id, std::uint32_t partitions) {
  if (partitions == 0 || id.size() < 16) return 0;
  std::uint32_t bits = 0;
  for (char c : id.substr(12, 4)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    bits = bits * 16 + static_cast<std::uint32_t>(digit);
  }
  return bits % partitions;
}

std::uint32_t partition_of_scope(std::string_view scope, std::uint32_t partitions) {
  if (partitions == 0) return 0;
  if (scope.starts_with(schedule_queue_prefix))
    return partition_of_id(scope.substr(schedule_queue_prefix.size()), partitions);
  return static_cast<std::uint32_t>(weight(scope, 0) % partitions);
}

}  // namespace baton::model
