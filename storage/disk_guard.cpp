#include "storage/disk_guard.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace baton::storage {

namespace {

constexpr std::uint64_t mib = 1ull << 20;

std::uint64_t resolved(std::uint64_t configured, std::uint64_t cap, std::uint64_t volume,
                       std::uint64_t percent) {
  if (configured != disk_guard::from_volume) return configured;
  return std::min(cap, volume / 100 * percent);
}

}  // namespace

disk_guard::disk_guard(std::string dir, std::uint64_t min_free_bytes, std::uint64_t ballast_bytes)
    : dir_(std::move(dir)), ballast_path_(dir_ + "/ballast"), configured_min_free_(min_free_bytes) {
  std::lock_guard lock(mutex_);
  read_volume();
  ballast_bytes_ = resolved(ballast_bytes, 64 * mib, last_.volume, 1);
}

void disk_guard::read_volume() {
  struct statvfs v {};
  read_at_ = std::chrono::steady_clock::now();
  // A volume that cannot be read is taken as having room: writes then meet RocksDB's own
  // error, which is reported, rather than a refusal on a guess.
  if (::statvfs(dir_.c_str(), &v) != 0) {
    last_.below = false;
    return;
  }
  last_.available = static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize;
  last_.volume = static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize;
  last_.min_free = resolved(configured_min_free_, 256 * mib, last_.volume, 2);
  last_.below = last_.available < last_.min_free;
}

bool disk_guard::has_room(bool recheck) {
  std::lock_guard lock(mutex_);
  if (configured_min_free_ == 0) return true;
  // Near the watermark a second of writes can cross it, and past it lies the device's own
  // ENOSPC: there the volume is read on every commit (a statvfs costs about a microsecond).
  bool near = last_.available < 2 * last_.min_free;
  if (recheck || near || std::chrono::steady_clock::now() - read_at_ >= std::chrono::seconds(1)) {
    read_volume();
    // Laid again here, once there is room for it: the next full volume needs it as well.
    if (!ballast_laid_) lay_locked();
  }
  return !last_.below;
}

disk_guard::reading disk_guard::last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

bool disk_guard::release_ballast(bool force) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (!std::filesystem::exists(ballast_path_, ec)) return false;
  read_volume();
  if (!force && !last_.below) return false;
  if (!std::filesystem::remove(ballast_path_, ec)) return false;
  ballast_laid_ = false;
  read_volume();
  return true;
}

bool disk_guard::lay_ballast() {
  std::lock_guard lock(mutex_);
  return lay_locked();
}

bool disk_guard::lay_locked() {
  if (ballast_bytes_ == 0) return false;
  std::error_code ec;
  if (std::filesystem::file_size(ballast_path_, ec) == ballast_bytes_) {
    ballast_laid_ = true;
    return false;
  }
  read_volume();
  if (last_.available < last_.min_free + ballast_bytes_) return false;
  std::filesystem::remove(ballast_path_, ec);  // one cut short by a crash, or of another size
  // Allocated, not merely sized: a sparse file would free nothing when deleted.
  int fd = ::open(ballast_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool laid = ::posix_fallocate(fd, 0, static_cast<off_t>(ballast_bytes_)) == 0;
  ::close(fd);
  if (!laid) std::filesystem::remove(ballast_path_, ec);
  ballast_laid_ = laid;
  read_volume();
  return laid;
}

}  // namespace baton::storage
