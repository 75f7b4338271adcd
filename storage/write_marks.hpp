#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

/// Tells, without a read, that a key has not been written since a moment. A status GET reads
/// the snapshot from RocksDB only to learn that it is the one it rendered last time (~9k of
/// ~28k instructions, bench/results/protocol.md); a mark taken before that read and found
/// unchanged later says the same for the price of two atomic loads.
///
/// Keys share a fixed table of slots by hash, so a write of one key also changes the marks of
/// the keys in its slot: a mark may change without its key being written (the caller reads
/// again), never the other way round. Every write of the database passes through `db`, which
/// counts each key's slot before (`writing`) and after (`written`) RocksDB applies it.
namespace baton::storage {

class write_marks {
 public:
  write_marks();

  /// Before a write of `key` is applied.
  void writing(std::string_view key);
  /// After it was applied or refused: every `writing` is followed by one `written`.
  void written(std::string_view key);

  /// A mark to keep with the value of `key` read after this call: a later call that gives
  /// the same mark says that no write sharing the key's slot has begun since, so the value
  /// read then is the key's value still. None while such a write is under way (a read might
  /// see it or not).
  std::optional<std::uint64_t> mark(std::string_view key) const;

  static constexpr std::size_t slot_count = 1u << 16;  ///< 1 MiB

 private:
  // Why two counters: a read between a write's start and its end may see the old value or
  // the new, and the new may become visible before `written`. A mark is handed out only when
  // the two agree (no write under way); any write begun since moves `started` past it, so
  // the same mark is never handed out again once a write began.
  struct slot {
    std::atomic<std::uint64_t> started{0};
    std::atomic<std::uint64_t> finished{0};
  };
  slot& slot_of(std::string_view key) const;

  std::unique_ptr<slot[]> slots_;
};

}  // namespace baton::storage
