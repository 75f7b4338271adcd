#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/drain_tracking_socket.hpp"

namespace baton::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// One HTTP answer as the load generator needs it: status and body.
struct http_reply {
  unsigned status = 0;  ///< 0 when the exchange failed
  std::string body;
  std::string error;  ///< why it failed ("connect: Connection refused", "read: timeout")
  bool ok() const { return status != 0; }
};

/// The bytes of an HTTP/1.1 request with keep-alive. Built once per request so that the
/// client spends its time on the wire, not in a serializer.
std::string make_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view body = {}, std::string_view api_key = {});

/// One keep-alive HTTP/1.1 connection driven by coroutines on one io_context. It connects
/// lazily and reconnects after an error or a `Connection: close` answer.
///
/// It shares the machine's cores with the server it measures, so a request costs it little:
/// the server's socket (no recv() that can only find nothing after each request), and one
/// lazy timer for the deadlines instead of a timer armed and cancelled per operation.
class connection {
 public:
  connection(asio::io_context& io, tcp::endpoint server, std::chrono::milliseconds timeout);

  /// Sends `request` (from make_request) and reads one answer. Never throws: a failure
  /// comes back as status 0 with `error` set, and the connection closes.
  asio::awaitable<http_reply> exchange(const std::string& request);

  /// Sends `requests` back to back in one write (HTTP/1.1 pipelining) and reads their answers
  /// in order: one round trip for several requests, as a client with many in hand does. The
  /// caller keeps the group within the server's `http.pipeline_limit`: the answers of a longer
  /// one wait in socket buffers that neither side drains. Never throws: answers from a failure
  /// on have status 0 with `error` set, and the connection closes.
  asio::awaitable<std::vector<http_reply>> exchange_pipelined(
      const std::vector<std::string>& requests);

  /// Connections opened so far (1 on a healthy keep-alive connection).
  std::uint64_t connects() const { return connects_; }

  /// Closes the connection and its timer, so that the io_context can run out of work.
  /// Call it once no exchange will follow.
  void stop();

 private:
  using clock = std::chrono::steady_clock;

  asio::awaitable<bool> ensure_open(http_reply& reply);
  void close();
  /// The exchange under way must end by `deadline_`; the timer is armed only when it is not.
  void watch();
  /// "read: timeout" when the deadline closed the connection, else "read: <why>".
  std::string failure(std::string_view what, const boost::system::error_code& ec) const;

  asio::io_context& io_;
  std::optional<baton::http::drain_tracking_socket> socket_;
  tcp::endpoint server_;
  std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  asio::steady_timer watchdog_;
  clock::time_point deadline_ = clock::time_point::max();  ///< max: no exchange under way
  bool watchdog_armed_ = false;
  bool timed_out_ = false;  ///< the deadline closed the connection during this exchange
  bool open_ = false;
  std::uint64_t connects_ = 0;
};

/// A blocking request for setup and scraping (definitions, /metrics, /readyz): opens a
/// connection, sends, reads, closes. Never throws.
http_reply fetch(const tcp::endpoint& server, std::string_view method, std::string_view target,
                 std::string_view body = {}, std::string_view api_key = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace baton::bench
