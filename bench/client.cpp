#include "bench/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace baton::bench {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Errors come back as values: an exception per failed request would cost more than the
// request when a server sheds load.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t body_limit = 256u << 20;

}  // namespace

std::string make_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view body, std::string_view api_key) {
  std::string out;
  out.reserve(160 + target.size() + body.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  out += "\r\nUser-Agent: baton-bench\r\nAccept: application/json\r\n";
  if (!api_key.empty()) out.append("x-api-key: ").append(api_key).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    out += "Content-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

connection::connection(asio::io_context& io, tcp::endpoint server,
                       std::chrono::milliseconds timeout)
    : stream_(io), server_(server), timeout_(timeout) {}

void connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  buffer_.clear();
  open_ = false;
}

asio::awaitable<bool> connection::ensure_open(http_reply& reply) {
  if (open_) co_return true;
  stream_.expires_after(timeout_);
  auto [ec] = co_await stream_.async_connect(server_, nothrow);
  if (ec) {
    reply.error = "connect: " + ec.message();
    close();
    co_return false;
  }
  // Small requests and answers: waiting for Nagle would add 40 ms to each.
  stream_.socket().set_option(tcp::no_delay(true), ec);
  open_ = true;
  ++connects_;
  co_return true;
}

asio::awaitable<http_reply> connection::exchange(const std::string& request) {
  http_reply reply;
  if (!co_await ensure_open(reply)) co_return reply;
  // One deadline covers writing the request and reading the whole answer.
  stream_.expires_after(timeout_);
  auto [wec, written] = co_await asio::async_write(stream_, asio::buffer(request), nothrow);
  if (wec) {
    reply.error = "write: " + wec.message();
    close();
    co_return reply;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  auto [rec, read] = co_await http::async_read(stream_, buffer_, parser, nothrow);
  if (rec) {
    reply.error = rec == beast::error::timeout ? "read: timeout" : "read: " + rec.message();
    close();
    co_return reply;
  }
  auto& res = parser.get();
  reply.status = res.result_int();
  reply.body = std::move(res.body());
  if (!res.keep_alive()) close();
  co_return reply;
}

http_reply fetch(const tcp::endpoint& server, std::string_view method, std::string_view target,
                 std::string_view body, std::string_view api_key,
                 std::chrono::milliseconds timeout) {
  // The same coroutine as the load path, on a private io_context: it brings the deadline
  // that Beast's blocking calls lack.
  asio::io_context io;
  connection conn(io, server, timeout);
  auto request = make_request(method, target,
                              server.address().to_string() + ":" + std::to_string(server.port()),
                              body, api_key);
  http_reply reply;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { reply = co_await conn.exchange(request); },
      asio::detached);
  io.run();
  return reply;
}

}  // namespace baton::bench
