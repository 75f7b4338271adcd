#pragma once

#include <cstdint>
#include <optional>

namespace baton::actors {

/// Which partitions of a cluster this node owns now, as the engine asks it
/// (`cluster_member` answers). A single node has none of this: the engine gets null.
class partition_owner {
 public:
  virtual ~partition_owner() = default;
  /// How many partitions the cluster has (fixed when it formed).
  virtual std::uint32_t partitions() const = 0;
  /// The epoch of partition `p` while this node owns it.
  virtual std::optional<std::int64_t> epoch_of(std::uint32_t p) const = 0;
  /// One of the partitions this node owns, a different one each call (round robin): where a
  /// process without a scope is started. Empty while it owns none.
  virtual std::optional<std::uint32_t> next_owned() = 0;
};

}  // namespace baton::actors
