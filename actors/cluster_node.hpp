#pragma once

#include "actors/cluster_forwarder.hpp"
#include "actors/cluster_log.hpp"
#include "actors/cluster_member.hpp"
#include "actors/partition_owner.hpp"

namespace baton::actors {

/// This node in a cluster, as its engine sees it: which partitions it owns (the member) and how
/// far its store has caught up with what others wrote (the log), and the way to the others.
class cluster_node final : public partition_owner {
 public:
  cluster_node(cluster_member& member, cluster_log& log, cluster_forwarder& forwarder)
      : member_(member), log_(log), forwarder_(forwarder) {}

  std::uint32_t partitions() const override { return member_.partitions(); }
  std::optional<std::int64_t> epoch_of(std::uint32_t p) const override {
    return member_.epoch_of(p);
  }
  std::optional<std::uint32_t> next_owned() override { return member_.next_owned(); }
  std::map<std::uint32_t, std::int64_t> watch_ownership(listener changed) override {
    return member_.watch_ownership(std::move(changed));
  }
  bool wait_applied(std::int64_t revision, std::chrono::milliseconds timeout) const override {
    return log_.wait_seen(revision, timeout);
  }
  void forward(std::uint32_t p, std::string command, std::chrono::milliseconds timeout,
               forwarded done) override {
    forwarder_.forward(p, std::move(command), timeout, std::move(done));
  }

 private:
  cluster_member& member_;
  cluster_log& log_;
  cluster_forwarder& forwarder_;
};

}  // namespace baton::actors
