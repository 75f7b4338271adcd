#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "storage/status.hpp"

namespace baton::storage {

/// Keeps writes away from a full volume, and a restart possible when it is full anyway.
///
/// Below the watermark (`min_free_bytes` available on the data volume) every write is refused
/// before RocksDB sees it: a WAL that runs out of room mid-append leaves RocksDB in a state
/// it cannot always leave without a restart, and a restart needs room of its own. Free space
/// is read with `statvfs` at most once a second (and at once when asked after a no-space
/// error), so a commit pays a clock read, not a system call.
///
/// The ballast is a file of `ballast_bytes` in the data folder, like CockroachDB's emergency
/// ballast: when the volume is too full to open the store, start-up deletes it to make the
/// room that replaying the WAL needs, and it is laid again once there is room to spare.
/// Thread-safe.
class disk_guard {
 public:
  /// A size that is worked out from the volume: the defaults of `storage.min_free_bytes`
  /// (256 MiB or 2 % of the volume, whichever is smaller) and `storage.ballast_bytes`
  /// (64 MiB or 1 %).
  static constexpr std::uint64_t from_volume = UINT64_MAX;

  /// @param dir the data folder (created already); 0 turns the watermark or the ballast off.
  disk_guard(std::string dir, std::uint64_t min_free_bytes, std::uint64_t ballast_bytes);

  /// Whether a write may go on now: available space at or above the watermark, as last read.
  /// @param recheck read the volume now instead of trusting a reading up to a second old
  bool has_room(bool recheck = false);

  /// What the last reading found.
  struct reading {
    std::uint64_t available = 0;  ///< bytes an unprivileged writer may still use
    std::uint64_t volume = 0;     ///< bytes the volume holds in all
    std::uint64_t min_free = 0;   ///< the watermark in force
    bool below = false;
  };
  reading last() const;

  /// Start-up, before the store opens: deletes the ballast when the volume is below the
  /// watermark (or `force`, after an open that ran out of space). @returns whether it did.
  bool release_ballast(bool force = false);
  /// Lays the ballast when it is missing and the volume keeps the watermark with it in place.
  /// @returns whether it was laid now; failures (the volume filled meanwhile) are not errors.
  bool lay_ballast();

  std::uint64_t ballast_bytes() const { return ballast_bytes_; }
  const std::string& ballast_path() const { return ballast_path_; }

 private:
  void read_volume();  // @pre mutex_ held
  bool lay_locked();   // @pre mutex_ held

  std::string dir_;
  std::string ballast_path_;
  std::uint64_t configured_min_free_;
  std::uint64_t ballast_bytes_ = 0;
  mutable std::mutex mutex_;
  reading last_;
  std::chrono::steady_clock::time_point read_at_{};
  bool ballast_laid_ = false;
};

}  // namespace baton::storage
