#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.hpp"
#include "http/fwd.hpp"

namespace baton::test {

/// One HTTP answer as tests see it.
struct test_response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string>
      headers;  ///< names lower-cased; repeated fields joined by ", "

  /// The value of header `name` (any case); empty when absent.
  std::string header(std::string_view name) const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One blocking HTTP/1.1 request to 127.0.0.1:`port` on a fresh connection (10 s timeout).
/// Sends `Content-Type: application/json` when there is a body and `headers` has no
/// content-type. `method` may be any token, e.g. "GET" or "PROPFIND".
/// @throws std::runtime_error on a connection or protocol error or the timeout.
test_response http_call(std::uint16_t port, std::string method, std::string target,
                        std::string body = {}, header_list headers = {});

/// `http_call` over TLS, without verifying the server's certificate (test servers use
/// self-signed ones).
test_response https_call(std::uint16_t port, std::string method, std::string target,
                         std::string body = {}, header_list headers = {});

/// A plain TCP connection to 127.0.0.1 for tests that need exact bytes: pipelining,
/// limits, malformed requests, timeouts. Every operation is bounded by `timeout`.
class raw_connection {
 public:
  /// @throws std::runtime_error when the connection fails.
  explicit raw_connection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Writes all of `bytes`. @throws std::runtime_error on error.
  void send(std::string_view bytes);

  /// Reads the next HTTP response (pipelined answers come one per call).
  /// @param head true when the request was HEAD, whose answer has no body.
  /// @throws std::runtime_error on error, close or timeout.
  test_response read_response(bool head = false);

  /// Reads until the server closes the connection or `wait` passes, and returns the bytes
  /// not yet consumed by `read_response`. `closed` tells which of the two happened.
  std::string read_until_closed(std::chrono::milliseconds wait, bool* closed = nullptr);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// An `http::server` on 127.0.0.1 with an ephemeral port, started by the constructor and
/// stopped by the destructor. `settings.listen` is ignored; the other settings are used
/// as given (tests shorten timeouts and limits through them).
class scoped_server {
 public:
  explicit scoped_server(std::shared_ptr<http::router> routes, config::http_settings settings = {});
  ~scoped_server();
  scoped_server(const scoped_server&) = delete;
  scoped_server& operator=(const scoped_server&) = delete;

  std::uint16_t port() const;
  http::server& get();

 private:
  std::unique_ptr<http::server> server_;
};

/// Sends `bytes` on a fresh connection and returns what the server sends back until it
/// closes the connection (or `wait` passes).
std::string raw_exchange(std::uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds wait = std::chrono::seconds(10));

}  // namespace baton::test
