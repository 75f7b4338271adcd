#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

/// The native JSON of processes read lately, kept beside the stored snapshot it was rendered
/// from. A client that follows a process by polling asks again and again for a state that has
/// not changed; decoding the snapshot and rendering the answer cost ~11k of the ~39k
/// instructions of such a GET (bench/results/protocol.md), the RocksDB read ~9k. Two ways find
/// an entry, and neither can answer for a state it was not rendered from, whoever wrote the
/// snapshot (this node's actors, the cluster's log): the write mark taken before its snapshot
/// was read, unchanged (no read at all), or the snapshot's bytes, compared whole.
namespace baton::http {

class rendered_processes {
 public:
  /// What a kept answer holds: the JSON, and the definition's name for the access check.
  struct answer {
    std::string definition;
    std::string json;
  };

  /// @param budget_bytes the most the entries may hold together (snapshots and answers)
  explicit rendered_processes(std::size_t budget_bytes = default_budget);

  /// The answer kept for process `id` under `mark` (storage::process_store::snapshot_mark):
  /// the same mark as when its snapshot was read says no write of it has begun since.
  std::optional<answer> find(std::string_view id, std::uint64_t mark) const;
  /// The answer rendered from exactly `snapshot` of process `id`, when one is kept. It takes
  /// `mark`, the mark taken before `snapshot` was read (none: it keeps none).
  std::optional<answer> find(std::string_view id, std::string_view snapshot,
                             std::optional<std::uint64_t> mark);
  /// Keeps `a`, rendered from `snapshot` (read after taking `mark`), in place of the oldest
  /// entry of its set. An entry over `max_entry_bytes`, or one the budget has no room for, is
  /// not kept.
  void keep(std::string_view id, std::string_view snapshot, std::optional<std::uint64_t> mark,
            answer a);

  /// Bytes the entries hold now.
  std::size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  /// 16 MiB: twenty thousand one-step processes (~0.8 KB each, snapshot and answer).
  static constexpr std::size_t default_budget = 16u << 20;
  /// Larger processes (long histories of steps) are rendered each time.
  static constexpr std::size_t max_entry_bytes = 8u << 10;

 private:
  // Set-associative: 4,096 sets of 8 entries, a lock per set. The id picks the set, so polls
  // of different processes rarely share a lock and never scan more than 8 entries.
  static constexpr std::size_t ways = 8;
  static constexpr std::size_t sets = 4096;
  struct entry {
    std::string id;
    std::string snapshot;
    std::optional<std::uint64_t> mark;  ///< taken before `snapshot` was read
    answer kept;
    std::size_t size() const {
      return id.size() + snapshot.size() + kept.definition.size() + kept.json.size();
    }
  };
  struct set {
    mutable std::mutex lock;
    std::array<entry, ways> entries;
    std::size_t next = 0;  ///< the way replaced next: the oldest kept
  };

  set& set_of(std::string_view id) const;

  std::size_t budget_;
  std::unique_ptr<set[]> sets_;
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace baton::http
