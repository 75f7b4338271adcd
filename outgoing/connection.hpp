#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace baton::outgoing::detail {

using outgoing_request_message = boost::beast::http::request<boost::beast::http::string_body>;
using outgoing_response_parser =
    boost::beast::http::response_parser<boost::beast::http::string_body>;

/// One client connection of `client`, plain or TLS. Its asynchronous operations take
/// type-erased handlers so that Beast's read and write machinery is instantiated once per
/// stream kind, each in its own translation unit (`connection.cpp` for plain TCP,
/// `tls_stream.cpp` for TLS), instead of all of it in the client's file: that file
/// was the slowest of the build. Handlers run on the executor the connection was made with.
/// Kept behind a pointer so that it can wait in the pool between calls without moving.
class connection {
 public:
  using step_done = std::function<void(boost::system::error_code)>;
  using io_done = std::function<void(boost::system::error_code, std::size_t)>;

  /// A TLS connection when `tls_context` is set, else plain TCP.
  connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context* tls_context);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  bool is_tls() const { return tls_ != nullptr; }
  boost::beast::tcp_stream& lowest();

  void async_connect(const boost::asio::ip::tcp::resolver::results_type& endpoints, step_done done);
  /// TLS only: sends `host` as SNI (unless it is an IP literal) and requires the server's
  /// certificate to name it, not merely to chain to a trusted root.
  void async_handshake(const std::string& host, step_done done);
  void async_write(outgoing_request_message& request, io_done done);
  void async_read(boost::beast::flat_buffer& buffer, outgoing_response_parser& parser,
                  io_done done);

  void close();
  /// Whether the server has closed (or sent something unasked on) this idle connection.
  /// Only plain connections can tell without reading: a TLS server may legitimately send
  /// session tickets after the handshake.
  bool stale();

  std::chrono::steady_clock::time_point idle_since;

 private:
  /// The TLS stream, defined (and its operations instantiated) in tls_stream.cpp.
  struct tls_stream;
  struct tls_stream_deleter {
    void operator()(tls_stream* s) const;
  };
  static std::unique_ptr<tls_stream, tls_stream_deleter> make_tls_stream(
      const boost::asio::any_io_executor& ex, boost::asio::ssl::context& context);
  static boost::beast::tcp_stream& lowest_of(tls_stream& s);
  static void tls_handshake(tls_stream& s, const std::string& host, step_done done);
  static void tls_write(tls_stream& s, outgoing_request_message& request, io_done done);
  static void tls_read(tls_stream& s, boost::beast::flat_buffer& buffer,
                       outgoing_response_parser& parser, io_done done);

  std::optional<boost::beast::tcp_stream> plain_;
  std::unique_ptr<tls_stream, tls_stream_deleter> tls_;
};

}  // namespace baton::outgoing::detail
