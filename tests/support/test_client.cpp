#include "tests/support/test_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <stdexcept>

#include "http/router.hpp"
#include "http/server.hpp"

namespace baton::test {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr auto call_timeout = std::chrono::seconds(10);

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

test_response convert(bh::response<bh::string_body>&& res) {
  test_response out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (const auto& field : res) {
    auto name = lower({field.name_string().data(), field.name_string().size()});
    std::string value{field.value()};
    auto [it, inserted] = out.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return out;
}

void check(const beast::error_code& ec, std::string_view what) {
  if (ec) throw std::runtime_error(std::string{what} + ": " + ec.message());
}

/// Runs the io_context until the one operation started before it completes.
void run(net::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

bh::request<bh::string_body> make_request(std::uint16_t port, std::string method,
                                          std::string target, std::string body,
                                          header_list headers) {
  bh::request<bh::string_body> req;
  req.version(11);
  req.method_string(method);
  req.target(target);
  req.set(bh::field::host, "127.0.0.1:" + std::to_string(port));
  bool has_content_type = false;
  for (auto& [name, value] : headers) {
    if (lower(name) == "content-type") has_content_type = true;
    req.insert(name, value);
  }
  if (!body.empty() && !has_content_type) req.set(bh::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

template <class Stream>
test_response exchange(net::io_context& ioc, Stream& stream, bh::request<bh::string_body>& req) {
  beast::error_code ec;
  bh::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  check(ec, "write");
  beast::flat_buffer buffer;
  bh::response_parser<bh::string_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(1 << 20);
  if (req.method() == bh::verb::head) parser.skip(true);
  bh::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  check(ec, "read");
  return convert(parser.release());
}

void connect(net::io_context& ioc, beast::tcp_stream& stream, std::uint16_t port) {
  beast::error_code ec;
  stream.expires_after(call_timeout);
  stream.async_connect(tcp::endpoint{net::ip::make_address_v4("127.0.0.1"), port},
                       [&](beast::error_code e) { ec = e; });
  run(ioc);
  check(ec, "connect to 127.0.0.1:" + std::to_string(port));
}

}  // namespace

std::string test_response::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

test_response http_call(std::uint16_t port, std::string method, std::string target,
                        std::string body, header_list headers) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  connect(ioc, stream, port);
  auto req =
      make_request(port, std::move(method), std::move(target), std::move(body), std::move(headers));
  auto res = exchange(ioc, stream, req);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return res;
}

test_response https_call(std::uint16_t port, std::string method, std::string target,
                         std::string body, header_list headers) {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  ctx.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
  connect(ioc, beast::get_lowest_layer(stream), port);
  beast::error_code ec;
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  run(ioc);
  check(ec, "TLS handshake");
  auto req =
      make_request(port, std::move(method), std::move(target), std::move(body), std::move(headers));
  return exchange(ioc, stream, req);
}

struct raw_connection::impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
};

raw_connection::raw_connection(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
  impl_->timeout = timeout;
  connect(impl_->ioc, impl_->stream, port);
}

raw_connection::~raw_connection() = default;

void raw_connection::send(std::string_view bytes) {
  beast::error_code ec;
  impl_->stream.expires_after(impl_->timeout);
  net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()),
                   [&](beast::error_code e, std::size_t) { ec = e; });
  run(impl_->ioc);
  check(ec, "send");
}

test_response raw_connection::read_response(bool head) {
  beast::error_code ec;
  bh::response_parser<bh::string_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(1 << 20);
  if (head) parser.skip(true);
  impl_->stream.expires_after(impl_->timeout);
  bh::async_read(impl_->stream, impl_->buffer, parser,
                 [&](beast::error_code e, std::size_t) { ec = e; });
  run(impl_->ioc);
  check(ec, "read response");
  return convert(parser.release());
}

std::string raw_connection::read_until_closed(std::chrono::milliseconds wait, bool* closed) {
  auto& buffer = impl_->buffer;
  impl_->stream.expires_after(wait);
  beast::error_code ec;
  while (!ec) {
    std::size_t n = 0;
    impl_->stream.async_read_some(buffer.prepare(4096), [&](beast::error_code e, std::size_t k) {
      ec = e;
      n = k;
    });
    run(impl_->ioc);
    buffer.commit(n);
  }
  if (closed) *closed = ec != beast::error::timeout;
  std::string out{static_cast<const char*>(buffer.data().data()), buffer.size()};
  buffer.consume(buffer.size());
  return out;
}

scoped_server::scoped_server(std::shared_ptr<http::router> routes, config::http_settings settings) {
  settings.listen = "127.0.0.1:0";
  server_ = std::make_unique<http::server>(settings, std::move(routes));
  server_->start();
}

scoped_server::~scoped_server() { server_->stop(); }

std::uint16_t scoped_server::port() const { return server_->port(); }

http::server& scoped_server::get() { return *server_; }

std::string raw_exchange(std::uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds wait) {
  raw_connection connection{port, wait};
  connection.send(bytes);
  return connection.read_until_closed(wait);
}

}  // namespace baton::test
