#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace baton::bench {

namespace {

constexpr unsigned sub_bits = 8;                       // 256 sub-buckets below the first split
constexpr std::uint64_t exact_limit = 1u << sub_bits;  // values below are exact
constexpr std::uint64_t half = exact_limit / 2;        // buckets per power of two above it
constexpr unsigned top_bit = 40;                       // 2^40 ns, about 18 minutes
constexpr std::size_t bucket_count = exact_limit + (top_bit - sub_bits + 1) * half;

}  // namespace

histogram::histogram() : counts_(bucket_count, 0) {}

std::size_t histogram::index_of(std::uint64_t v) {
  if (v < exact_limit) return static_cast<std::size_t>(v);
  auto msb = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= sub_bits
  if (msb > top_bit) return bucket_count - 1;
  auto shift = msb - (sub_bits - 1);  // (v >> shift) is in [half, exact_limit)
  return static_cast<std::size_t>(exact_limit + (shift - 1) * half + ((v >> shift) - half));
}

std::uint64_t histogram::lowest_of(std::size_t index) {
  if (index < exact_limit) return index;
  auto rel = index - exact_limit;
  auto shift = rel / half + 1;
  return (half + rel % half) << shift;
}

std::uint64_t histogram::highest_of(std::size_t index) {
  if (index < exact_limit) return index;
  auto shift = (index - exact_limit) / half + 1;
  return lowest_of(index) + (std::uint64_t{1} << shift) - 1;
}

void histogram::record(std::uint64_t ns) {
  ++counts_[index_of(ns)];
  ++count_;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

std::uint64_t histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  // The rank of the wanted sample, 1-based: p50 of 10 samples is the 5th.
  auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      auto mid = lowest_of(i) + (highest_of(i) - lowest_of(i)) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace baton::bench
