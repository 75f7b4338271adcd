#pragma once

#include <cstddef>
#include <mutex>
#include <optional>

namespace baton::http::auth {

/// A fixed number of slots for costly work (Argon2 checks). Taking one never waits: when
/// all are taken the caller answers "busy, retry" at once, so a flood of attempts cannot pile
/// up on the I/O threads that every other client's requests need. Thread-safe.
class check_slots {
 public:
  /// Holds a slot until destroyed.
  class slot {
   public:
    explicit slot(check_slots& owner) : owner_(&owner) {}
    slot(slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    slot& operator=(slot&&) = delete;
    ~slot() {
      if (owner_) owner_->release();
    }

   private:
    check_slots* owner_;
  };

  /// @pre `count` >= 1.
  explicit check_slots(std::size_t count) : count_(count < 1 ? 1 : count) {}

  /// A slot, or nullopt when all are taken.
  std::optional<slot> try_take() {
    std::lock_guard lock(mutex_);
    if (taken_ >= count_) return std::nullopt;
    ++taken_;
    return std::optional<slot>(std::in_place, *this);
  }

  std::size_t taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
  }

 private:
  void release() {
    std::lock_guard lock(mutex_);
    --taken_;
  }

  const std::size_t count_;
  mutable std::mutex mutex_;
  std::size_t taken_ = 0;
};

}  // namespace baton::http::auth
