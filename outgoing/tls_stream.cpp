// The TLS half of `connection`: Beast's HTTP read and write over an SSL stream are
// the heaviest templates of the outgoing client, so they are instantiated here alone.
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "outgoing/connection.hpp"

namespace baton::outgoing::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

struct connection::tls_stream {
  tls_stream(const net::any_io_executor& ex, ssl::context& context) : stream(ex, context) {}
  beast::ssl_stream<beast::tcp_stream> stream;
};

void connection::tls_stream_deleter::operator()(tls_stream* s) const { delete s; }

std::unique_ptr<connection::tls_stream, connection::tls_stream_deleter> connection::make_tls_stream(
    const net::any_io_executor& ex, ssl::context& context) {
  return std::unique_ptr<tls_stream, tls_stream_deleter>(new tls_stream(ex, context));
}

beast::tcp_stream& connection::lowest_of(tls_stream& s) {
  return beast::get_lowest_layer(s.stream);
}

namespace {

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

void connection::tls_handshake(tls_stream& s, const std::string& host, step_done done) {
  // SNI, so that virtual hosts pick the right certificate.
  if (!is_ip_literal(host)) SSL_set_tlsext_host_name(s.stream.native_handle(), host.c_str());
  s.stream.set_verify_callback(ssl::host_name_verification(host));
  s.stream.async_handshake(ssl::stream_base::client, std::move(done));
}

void connection::tls_write(tls_stream& s, outgoing_request_message& request, io_done done) {
  beast::http::async_write(s.stream, request, std::move(done));
}

void connection::tls_read(tls_stream& s, beast::flat_buffer& buffer,
                          outgoing_response_parser& parser, io_done done) {
  beast::http::async_read(s.stream, buffer, parser, std::move(done));
}

}  // namespace baton::outgoing::detail
