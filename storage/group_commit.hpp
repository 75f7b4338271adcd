#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/db.hpp"
#include "storage/status.hpp"

namespace baton::storage {

class disk_guard;

/// Where commits go instead of straight to the store, in a cluster: the replicated log
/// (`actors/cluster_log`), which appends them to etcd, fenced on their write scopes, and
/// applies them to this store before it answers.
class replicator {
 public:
  virtual ~replicator() = default;
  /// Makes `batches` durable and applied to the store, or fails them: one status per batch,
  /// in order. Runs on the writer thread and may block (an etcd round trip).
  virtual std::vector<status> replicate(const std::vector<const batch*>& batches) = 0;
};

/// The one writer. Writes submitted while a commit is in flight are merged into the next
/// commit, so N concurrent writers cost one WAL sync instead of N (group commit).
class group_committer {
 public:
  /// Runs once the write is durable (ok) or failed; on the writer thread. A failed write left
  /// nothing behind: its batch was applied whole or not at all.
  using callback = std::function<void(const status& written)>;

  /// @param guard refuses writes while the volume is below its watermark; may be null
  explicit group_committer(db& database, disk_guard* guard = nullptr, std::size_t max_batch = 4096);
  /// Commits everything still queued, then stops the writer thread.
  ~group_committer();

  void submit(batch writes, callback done);

  /// Counters for /metrics: how many commits, how many submitted writes they carried.
  struct stats {
    std::uint64_t commits = 0;
    std::uint64_t submissions = 0;
    std::uint64_t largest = 0;
    std::uint64_t buckets[6] = {};  ///< commits carrying 1, ≤4, ≤16, ≤64, ≤256, more
    std::uint64_t refused = 0;      ///< submissions answered with a failure
    std::uint64_t resumed = 0;      ///< times writes were taken again after a failure
  };
  stats snapshot() const;

  /// Why writes are refused now (ok while they are taken): the volume is below its watermark,
  /// or a write failed and RocksDB has not resumed yet. Reads the volume at most once a second.
  status refusing();

  /// Told once when writes start to be refused (with why) and once when they are taken
  /// again (ok), on the writer thread or a caller of `refusing`. Set it before writes begin.
  void on_refusal_change(std::function<void(const status&)> tell) { tell_ = std::move(tell); }

  /// Sends every later commit through `to` instead of writing it here (a cluster's log);
  /// null writes here again. The replicator must outlive its use: unset it before it goes.
  void replicate_through(replicator* to);

 private:
  /// Tells `tell_` when `now` differs from what was last told. @pre mutex_ not held
  void note(const status& now);

  void run();
  /// Whether the next commit may reach RocksDB; tries to resume a stopped store at most once
  /// a second. @pre mutex_ not held (it may call RocksDB).
  status admit();

  struct pending {
    batch writes;
    callback done;
  };
  /// Hands `taken` to `through` and tells each submitter its outcome; empties `taken`.
  void replicate(replicator& through, std::vector<pending>& taken);
  db& db_;
  disk_guard* guard_;
  std::size_t max_batch_;
  /// The failure of the last write while RocksDB has not resumed: after a failed WAL append
  /// or sync, RocksDB takes no more writes (and writing on regardless reached an assertion
  /// in its WAL writer) until `resume` succeeds.
  status stopped_;
  std::chrono::steady_clock::time_point resume_tried_{};
  std::function<void(const status&)> tell_;
  replicator* replicator_ = nullptr;  ///< guarded by mutex_
  std::mutex told_mutex_;
  bool told_refusing_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending> queue_;
  bool stopping_ = false;
  stats stats_;
  std::thread writer_;
};

}  // namespace baton::storage
