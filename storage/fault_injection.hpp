#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "storage/status.hpp"

namespace baton::storage {

/// A switch that makes the store's file writes fail, for tests of what the server does on a
/// full or failing disk without filling one. While `failing` is set, every append to and
/// sync of a file that RocksDB writes (the WAL, tables, the manifest) answers that error, as
/// the device would; reads are untouched. Handed to `store_options::faults`.
struct fault_switch {
  /// ok: writes go through; no_space or io_error: they fail so.
  std::atomic<storage_errc> failing{storage_errc::ok};
  /// Writes that were failed on purpose, so a test can see the fault was met.
  std::atomic<std::uint64_t> failed{0};

  /// A disk that answers slowly: from `stall_reads` until `release_reads`, every read of a
  /// process snapshot or of a scope's settings waits. For tests that no shared actor waits on such
  /// a read.
  void stall_reads() {
    std::lock_guard lock(mutex_);
    reads_stalled_ = true;
  }
  void release_reads() {
    {
      std::lock_guard lock(mutex_);
      reads_stalled_ = false;
    }
    released_.notify_all();
  }
  /// Called by the store before a snapshot read; counts the reads it held in `stalled`.
  void wait_while_reads_stalled() {
    std::unique_lock lock(mutex_);
    if (!reads_stalled_) return;
    ++stalled;
    released_.wait(lock, [&] { return !reads_stalled_; });
  }
  std::atomic<std::uint64_t> stalled{0};

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool reads_stalled_ = false;
};

}  // namespace baton::storage
