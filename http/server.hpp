#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "config/settings.hpp"

namespace baton::http {

class router;
class metrics;
class blocking_work;

/// The HTTP/1.1 listener: accepts connections (TLS when `tls_cert` and `tls_key` are set),
/// reads requests within the configured limits, runs the router's handlers and writes their
/// answers in request order. Handlers run on an I/O thread and must not block it; they may
/// answer later from any thread through their `responder`.
///
/// Every answer gets `Server: baton` and `X-Request-Id` (the client's, when it sent a sane
/// one, else a generated one; the same id is in `request_context::request_id`), and is
/// counted in `stats()`. Limits: a body over `body_limit` gets 413, a header over
/// `header_limit` 431, a malformed request 400 (each then closes the connection); a
/// request header not read within `header_timeout`, or a connection idle for
/// `idle_timeout`, is closed; at most `pipeline_limit` requests per connection wait for
/// their answers, and reading pauses until the queue shrinks.
///
/// Connections are dealt in turn to `io_threads` threads, each with its own io_context; a
/// connection stays on its thread, where its handlers run one at a time. Work that would
/// block that thread goes to the server's `blocking()` thread.
///
/// Beast stays behind this class so that handler files can include it cheaply.
class server {
 public:
  /// @param routes must not change once `start` was called.
  /// @param stats where requests are counted; a new instance when null.
  server(const config::http_settings& settings, std::shared_ptr<router> routes,
         std::shared_ptr<metrics> stats = nullptr);
  /// Stops the server if it still runs.
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds `settings.listen` and starts `io_threads` threads.
  /// @throws std::system_error when the address cannot be bound, std::invalid_argument when
  ///         `listen` is not "host:port", std::runtime_error when the TLS files cannot be used.
  /// @pre not started before.
  void start();

  /// The bound port (the chosen one when `listen` asked for port 0); 0 before `start`.
  std::uint16_t port() const;

  /// Stops accepting, lets every connection finish the requests it already read (their
  /// answers are written with `Connection: close`) for up to 5 seconds, then closes what is
  /// left and joins the threads. Answers that handlers send later are dropped safely.
  /// Idempotent; must not be called from an I/O thread of this server.
  void stop();

  /// The request metrics this server records into (also the `/metrics` text).
  const std::shared_ptr<metrics>& stats() const;

  /// Where handlers post work that blocks (a checkpoint of the store): one thread and
  /// `blocking_capacity` jobs at most, running from construction on; `stop` lets the running
  /// job finish and drops those waiting. Handlers may keep the reference while the server
  /// lives.
  blocking_work& blocking();

  /// Jobs that `blocking()` holds waiting or running at once; a handler answers 503 beyond.
  static constexpr std::size_t blocking_capacity = 2;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace baton::http
