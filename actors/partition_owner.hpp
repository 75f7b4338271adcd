#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace baton::actors {

/// One change in what this node owns: partition `partition` was taken at `epoch`, or, with no
/// epoch, given up or lost.
struct ownership_change {
  std::uint32_t partition = 0;
  std::optional<std::int64_t> epoch;
};

/// Which partitions of a cluster this node owns now, as the engine asks it
/// (`cluster_node` answers). A single node has none of this: the engine gets null.
class partition_owner {
 public:
  using listener = std::function<void(const std::vector<ownership_change>&)>;
  /// The owner's encoded answer, or, when there is none, why (for a client to read).
  using forwarded = std::function<void(std::optional<std::string> answer, std::string failure)>;

  virtual ~partition_owner() = default;
  /// How many partitions the cluster has (fixed when it formed).
  virtual std::uint32_t partitions() const = 0;
  /// The epoch of partition `p` while this node owns it.
  virtual std::optional<std::int64_t> epoch_of(std::uint32_t p) const = 0;
  /// One of the partitions this node owns, a different one each call (round robin): where a
  /// process without a scope is started. Empty while it owns none.
  virtual std::optional<std::uint32_t> next_owned() = 0;
  /// From now on, tells `changed` (on a thread of the owner's, never two calls at once) of every
  /// partition this node takes or loses; a null `changed` stops that, after a call under way.
  /// @returns what this node owns as of the first change it will be told: partition → epoch.
  virtual std::map<std::uint32_t, std::int64_t> watch_ownership(listener changed) = 0;
  /// Blocks until this node's store holds everything the cluster wrote before `revision` (a
  /// partition's epoch: the previous owner's last writes), at most `timeout`.
  /// @returns whether it does.
  virtual bool wait_applied(std::int64_t revision, std::chrono::milliseconds timeout) const = 0;
  /// Sends an encoded engine command (`encode_command`) to the engine of the node that owns
  /// partition `p`; `done` runs once, on some thread, within about `timeout`.
  virtual void forward(std::uint32_t p, std::string command, std::chrono::milliseconds timeout,
                       forwarded done) = 0;
};

}  // namespace baton::actors
