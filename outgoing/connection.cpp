#include "outgoing/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace baton::outgoing::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

connection::connection(const net::any_io_executor& ex, net::ssl::context* tls_context) {
  if (tls_context)
    tls_ = make_tls_stream(ex, *tls_context);
  else
    plain_.emplace(ex);
}

connection::~connection() = default;

beast::tcp_stream& connection::lowest() { return tls_ ? lowest_of(*tls_) : *plain_; }

void connection::async_connect(const tcp::resolver::results_type& endpoints, step_done done) {
  lowest().async_connect(endpoints, [done = std::move(done)](beast::error_code ec,
                                                             const tcp::endpoint&) { done(ec); });
}

void connection::async_handshake(const std::string& host, step_done done) {
  tls_handshake(*tls_, host, std::move(done));
}

void connection::async_write(outgoing_request_message& request, io_done done) {
  if (tls_) return tls_write(*tls_, request, std::move(done));
  beast::http::async_write(*plain_, request, std::move(done));
}

void connection::async_read(beast::flat_buffer& buffer, outgoing_response_parser& parser,
                            io_done done) {
  if (tls_) return tls_read(*tls_, buffer, parser, std::move(done));
  beast::http::async_read(*plain_, buffer, parser, std::move(done));
}

void connection::close() {
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest().close();
}

bool connection::stale() {
  if (tls_) return false;
  auto& socket = lowest().socket();
  beast::error_code ec;
  char probe;
  socket.non_blocking(true, ec);
  if (ec) return true;
  socket.receive(net::buffer(&probe, 1), tcp::socket::message_peek, ec);
  bool alive = ec == net::error::would_block || ec == net::error::try_again;
  socket.non_blocking(false, ec);
  return !alive || ec.failed();
}

}  // namespace baton::outgoing::detail
