#include "storage/group_commit.hpp"

namespace baton::storage {

group_committer::group_committer(db& database, std::size_t max_batch)
    : db_(database), max_batch_(max_batch), writer_([this] { run(); }) {}

group_committer::~group_committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void group_committer::submit(batch writes, callback done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(writes), std::move(done)});
  }
  wake_.notify_one();
}

group_committer::stats group_committer::snapshot() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void group_committer::run() {
  std::vector<pending> taken;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Take at most max_batch_ submissions: one huge commit would delay the first caller.
      if (queue_.size() <= max_batch_) {
        taken.swap(queue_);
      } else {
        taken.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + max_batch_));
        queue_.erase(queue_.begin(), queue_.begin() + max_batch_);
      }
    }
    std::vector<const batch*> writes;
    writes.reserve(taken.size());
    for (const auto& p : taken) writes.push_back(&p.writes);
    auto error = db_.write_all(writes);
    {
      std::lock_guard lock(mutex_);
      auto n = taken.size();
      ++stats_.commits;
      stats_.submissions += n;
      stats_.largest = std::max<std::uint64_t>(stats_.largest, n);
      int bucket = n <= 1 ? 0 : n <= 4 ? 1 : n <= 16 ? 2 : n <= 64 ? 3 : n <= 256 ? 4 : 5;
      ++stats_.buckets[bucket];
    }
    for (auto& p : taken) {
      if (p.done) p.done(error);
    }
    taken.clear();
  }
}

}  // namespace baton::storage
