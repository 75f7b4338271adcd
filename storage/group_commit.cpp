#include "storage/group_commit.hpp"

#include "storage/disk_guard.hpp"

namespace baton::storage {

group_committer::group_committer(db& database, disk_guard* guard, std::size_t max_batch)
    : db_(database), guard_(guard), max_batch_(max_batch), writer_([this] { run(); }) {}

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

void group_committer::replicate_through(replicator* to) {
  std::lock_guard lock(mutex_);
  replicator_ = to;
}

group_committer::stats group_committer::snapshot() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

namespace {

status below_watermark(const disk_guard& guard) {
  auto r = guard.last();
  return {storage_errc::no_space, "the data volume has " + std::to_string(r.available) +
                                      " bytes free, below storage.min_free_bytes (" +
                                      std::to_string(r.min_free) + ")"};
}

}  // namespace

status group_committer::refusing() {
  status now;
  if (guard_ && !guard_->has_room()) {
    now = below_watermark(*guard_);
  } else {
    std::lock_guard lock(mutex_);
    now = stopped_;
  }
  note(now);
  return now;
}

void group_committer::note(const status& now) {
  std::lock_guard lock(told_mutex_);
  if (now.ok() == !told_refusing_) return;
  told_refusing_ = !now.ok();
  if (tell_) tell_(now);
}

status group_committer::admit() {
  if (guard_ && !guard_->has_room()) return below_watermark(*guard_);
  status stopped;
  {
    std::lock_guard lock(mutex_);
    stopped = stopped_;
  }
  if (stopped.ok()) return {};
  auto now = std::chrono::steady_clock::now();
  if (now - resume_tried_ < std::chrono::seconds(1)) return stopped;
  resume_tried_ = now;
  if (auto resumed = db_.resume(); !resumed.ok()) return stopped;
  std::lock_guard lock(mutex_);
  stopped_ = {};
  ++stats_.resumed;
  return {};
}

void group_committer::run() {
  std::vector<pending> taken;
  for (;;) {
    replicator* through = nullptr;
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
      through = replicator_;
    }
    if (through) {
      replicate(*through, taken);
      continue;
    }
    auto written = admit();
    bool attempted = written.ok();
    if (!attempted) note(written);
    if (attempted) {
      std::vector<const batch*> writes;
      writes.reserve(taken.size());
      for (const auto& p : taken) writes.push_back(&p.writes);
      written = db_.write_all(writes);
      // A write that ran out of room tells the guard to look again now, not in a second.
      if (written.code() == storage_errc::no_space && guard_) (void)guard_->has_room(true);
    }
    {
      std::lock_guard lock(mutex_);
      auto n = taken.size();
      if (attempted) {
        ++stats_.commits;
        stats_.submissions += n;
        stats_.largest = std::max<std::uint64_t>(stats_.largest, n);
        int bucket = n <= 1 ? 0 : n <= 4 ? 1 : n <= 16 ? 2 : n <= 64 ? 3 : n <= 256 ? 4 : 5;
        ++stats_.buckets[bucket];
        if (!written.ok()) stopped_ = written;
      }
      if (!written.ok()) stats_.refused += n;
    }
    if (attempted) note(written);
    for (auto& p : taken) {
      if (p.done) p.done(written);
    }
    taken.clear();
  }
}

void group_committer::replicate(replicator& through, std::vector<pending>& taken) {
  std::vector<const batch*> writes;
  writes.reserve(taken.size());
  for (const auto& p : taken) writes.push_back(&p.writes);
  auto statuses = through.replicate(writes);
  {
    std::lock_guard lock(mutex_);
    ++stats_.commits;
    stats_.submissions += taken.size();
    stats_.largest = std::max<std::uint64_t>(stats_.largest, taken.size());
    for (const auto& s : statuses) stats_.refused += s.ok() ? 0 : 1;
  }
  for (std::size_t i = 0; i < taken.size(); ++i) {
    if (taken[i].done)
      taken[i].done(i < statuses.size() ? statuses[i] : status{storage_errc::busy, "no answer"});
  }
  taken.clear();
}

}  // namespace baton::storage
