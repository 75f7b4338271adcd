#include "http/blocking_work.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace baton::http {

blocking_work::blocking_work(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)), thread_([this] { run(); }) {}

blocking_work::~blocking_work() { stop(); }

bool blocking_work::try_post(std::function<void()> job) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || waiting_.size() + (running_ ? 1 : 0) >= capacity_) return false;
    waiting_.push_back(std::move(job));
  }
  changed_.notify_all();
  return true;
}

void blocking_work::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
    holding_ = false;
    dropped.swap(waiting_);
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Out of the lock: dropping a job drops its responder, which answers its connection.
  dropped.clear();
}

void blocking_work::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (stopping_) return;
    auto job = std::move(waiting_.front());
    waiting_.pop_front();
    running_ = true;
    if (holding_) {
      held_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !holding_; });
      held_ = false;
    }
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      // Its responder, dropped with it, answers 500; the thread serves the next job.
      spdlog::error("blocking work failed: {}", e.what());
    } catch (...) {
      spdlog::error("blocking work failed with a non-exception");
    }
    job = nullptr;  // its captures go before the next job is admitted
    lock.lock();
    running_ = false;
  }
}

void blocking_work::hold() {
  std::lock_guard lock{mutex_};
  holding_ = !stopping_;
}

bool blocking_work::wait_held(std::size_t jobs, std::chrono::milliseconds timeout) {
  std::unique_lock lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] { return held_ && waiting_.size() + 1 >= jobs; });
}

void blocking_work::release() {
  {
    std::lock_guard lock{mutex_};
    holding_ = false;
  }
  changed_.notify_all();
}

}  // namespace baton::http
