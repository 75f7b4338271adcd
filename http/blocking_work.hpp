#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace baton::http {

/// The one place where handlers run work that blocks for long (a RocksDB checkpoint for a
/// backup or a node's copy of the store): one thread of its own, so that an I/O thread, and
/// every connection dealt to it, never waits for such work. A job answers through the
/// `responder` it carries, which takes the answer back to the connection's I/O thread.
///
/// The queue is bounded: when `capacity` jobs wait or run, `try_post` refuses, and the
/// handler answers 503 with `Retry-After` rather than letting requests pile up behind a
/// checkpoint. One thread runs them one at a time, so two never compete for the disk.
class blocking_work {
 public:
  /// Starts the thread. @param capacity jobs waiting or running at most (at least 1).
  explicit blocking_work(std::size_t capacity = 2);
  /// `stop()`.
  ~blocking_work();
  blocking_work(const blocking_work&) = delete;
  blocking_work& operator=(const blocking_work&) = delete;

  /// Queues `job` to run on the thread after those queued before it; any thread.
  /// @returns false, with `job` dropped unrun, when `capacity` jobs wait or run already or
  ///          after `stop()`.
  [[nodiscard]] bool try_post(std::function<void()> job);

  /// Lets the running job finish, drops those still waiting (a dropped job's responder
  /// answers 500, or nothing once its server stopped) and joins the thread. Idempotent;
  /// must not be called from a job.
  void stop();

  /// For tests: from now on each job waits, just before it runs, until `release()`; lets a
  /// test see what the server does while such work is in progress, without guessing how
  /// long it takes.
  void hold();
  /// For tests: waits until a job is held and `jobs` jobs in all are taken (held or waiting).
  /// @returns false when that does not happen within `timeout`.
  bool wait_held(std::size_t jobs, std::chrono::milliseconds timeout);
  /// For tests: ends `hold()`; held and later jobs run.
  void release();

 private:
  void run();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> waiting_;
  bool running_ = false;  ///< a job was taken off `waiting_` and has not finished
  bool holding_ = false;
  bool held_ = false;  ///< the running job waits for `release()`
  bool stopping_ = false;
  std::thread thread_;  ///< last: started once the fields above are
};

}  // namespace baton::http
