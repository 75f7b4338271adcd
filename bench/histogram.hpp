#pragma once

#include <cstdint>
#include <vector>

namespace baton::bench {

/// A log-linear latency histogram in the manner of HdrHistogram: values below 256 ns are
/// exact, and every power of two above is split into 128 equal buckets, so a recorded value
/// is known to within 1/128 (0.8 %). Covers 1 ns to about 2^40 ns (18 minutes); larger values
/// land in the last bucket. Not thread-safe: one histogram per recording thread, merged later.
class histogram {
 public:
  histogram();

  void record(std::uint64_t ns);
  void merge(const histogram& other);
  void clear();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  /// The value at quantile `q` (0..1): the middle of the bucket holding it, clamped to the
  /// exact minimum and maximum. 0 when empty.
  std::uint64_t quantile(double q) const;

 private:
  static std::size_t index_of(std::uint64_t v);
  static std::uint64_t lowest_of(std::size_t index);
  static std::uint64_t highest_of(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace baton::bench
