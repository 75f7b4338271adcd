#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

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
class connection {
 public:
  connection(asio::io_context& io, tcp::endpoint server, std::chrono::milliseconds timeout);

  /// Sends `request` (from make_request) and reads one answer. Never throws: a failure
  /// comes back as status 0 with `error` set, and the connection closes.
  asio::awaitable<http_reply> exchange(const std::string& request);

  /// Connections opened so far (1 on a healthy keep-alive connection).
  std::uint64_t connects() const { return connects_; }

 private:
  asio::awaitable<bool> ensure_open(http_reply& reply);
  void close();

  boost::beast::tcp_stream stream_;
  tcp::endpoint server_;
  std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  bool open_ = false;
  std::uint64_t connects_ = 0;
};

/// A blocking request for setup and scraping (definitions, /metrics, /readyz): opens a
/// connection, sends, reads, closes. Never throws.
http_reply fetch(const tcp::endpoint& server, std::string_view method, std::string_view target,
                 std::string_view body = {}, std::string_view api_key = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace baton::bench
