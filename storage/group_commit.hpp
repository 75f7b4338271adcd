#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/db.hpp"

namespace baton::storage {

/// The one writer. Writes submitted while a commit is in flight are merged into the next
/// commit, so N concurrent writers cost one WAL sync instead of N (group commit).
class group_committer {
public:
  /// Runs once the write is durable (error empty) or failed; on the writer thread.
  using callback = std::function<void(const std::string& error)>;

  explicit group_committer(db& database, std::size_t max_batch = 4096);
  /// Commits everything still queued, then stops the writer thread.
  ~group_committer();

  void submit(batch writes, callback done);

  /// Counters for /metrics: how many commits, how many submitted writes they carried.
  struct stats {
    std::uint64_t commits = 0;
    std::uint64_t submissions = 0;
    std::uint64_t largest = 0;
    std::uint64_t buckets[6] = {};  ///< commits carrying 1, ≤4, ≤16, ≤64, ≤256, more
  };
  stats snapshot() const;

private:
  void run();

  struct pending {
    batch writes;
    callback done;
  };
  db& db_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending> queue_;
  bool stopping_ = false;
  stats stats_;
  std::thread writer_;
};

}  // namespace baton::storage
