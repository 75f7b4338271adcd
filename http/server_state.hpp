#pragma once

// What the server's listener, its sessions and its stop share. Internal to the server
// (server.cpp, plain_session.cpp, tls_session.cpp); kept free of Beast's I/O and of Asio
// so that each session file, one translation unit per stream type, pays only for its own.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "config/settings.hpp"
#include "http/metrics.hpp"
#include "http/request_context.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace baton::http {

class router;

/// The connection interface that responders and the server's stop see.
class session_base : public std::enable_shared_from_this<session_base> {
 public:
  virtual ~session_base() = default;
  /// Delivers the answer to request `seq`; any thread.
  virtual void post_response(std::uint64_t seq, response res) = 0;
  /// Finishes the requests already read, then closes; any thread.
  virtual void begin_shutdown() = 0;
  /// Closes at once. Only while no thread runs the io_context.
  virtual void force_close() = 0;
};

/// What every connection of one server shares. It holds no strong reference to the
/// io_contexts: sessions live inside handlers the io_contexts own, and a strong reference
/// from them would keep both alive forever.
struct server_state {
  config::http_settings settings;
  std::shared_ptr<router> routes;
  std::shared_ptr<metrics> stats;
  /// One io_context per I/O thread, each running on one thread only: a connection lives
  /// on one of them, so its handlers never contend with another thread's for the
  /// scheduler's lock (measured: 25 µs of CPU per request on one shared io_context with
  /// two threads, 18 µs on one per thread).
  std::vector<std::weak_ptr<boost::asio::io_context>> contexts;
  std::shared_ptr<boost::asio::ssl::context> tls;  ///< null without TLS
  std::uint64_t id_seed = 0;
  std::atomic<std::uint64_t> next_session{1};
  /// Connections accepted and not yet closed, read without the lock by the listener to
  /// refuse those beyond `settings.max_connections`.
  std::atomic<std::size_t> open_connections{0};

  std::mutex mutex;  ///< guards the fields below; taken per connection, never per request
  std::condition_variable all_closed;
  std::unordered_map<const session_base*, std::weak_ptr<session_base>> sessions;
  bool stopping = false;

  /// Registers a new connection; false when the server is stopping and it must close.
  bool enter(const std::shared_ptr<session_base>& s) {
    std::lock_guard lock{mutex};
    if (stopping) return false;
    sessions.emplace(s.get(), s);
    open_connections.fetch_add(1, std::memory_order_relaxed);
    stats->connection_opened();
    return true;
  }

  void leave(const session_base* s) {
    std::lock_guard lock{mutex};
    if (sessions.erase(s) == 0) return;
    open_connections.fetch_sub(1, std::memory_order_relaxed);
    stats->connection_closed();
    if (sessions.empty()) all_closed.notify_all();
  }
};

}  // namespace baton::http
