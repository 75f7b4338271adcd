#include "bench/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>

namespace baton::bench {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Errors come back as values: an exception per failed request would cost more than the
// request when a server sheds load.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t body_limit = 256u << 20;

/// Reads what the load generator looks at in an answer: its status, its body and whether
/// the connection stays open (which the parser itself tracks). Beast's response_parser
/// also stores every header field, which cost ~1k instructions and allocations per answer.
class answer_parser : public http::basic_parser<false> {
 public:
  unsigned status = 0;
  std::string body;

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       beast::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
    status = static_cast<unsigned>(code);
  }
  void on_field_impl(http::field, beast::string_view, beast::string_view,
                     beast::error_code&) override {}
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) body.reserve(static_cast<std::size_t>(*length));  // within body_limit
  }
  std::size_t on_body_impl(beast::string_view part, beast::error_code&) override {
    body.append(part.data(), part.size());
    return part.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view part,
                                 beast::error_code&) override {
    body.append(part.data(), part.size());
    return part.size();
  }
  void on_finish_impl(beast::error_code&) override {}
};

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
    : io_(io), server_(server), timeout_(timeout), watchdog_(io) {}

void connection::close() {
  if (socket_) {
    beast::error_code ignored;
    socket_->shutdown(tcp::socket::shutdown_both, ignored);
    socket_->close(ignored);
  }
  buffer_.clear();
  open_ = false;
}

void connection::stop() {
  close();
  deadline_ = clock::time_point::max();
  watchdog_.cancel();
}

void connection::watch() {
  // Deadlines only move later, so an armed timer is never late: when it fires before the
  // current deadline it arms itself again for that one.
  if (watchdog_armed_ || deadline_ == clock::time_point::max()) return;
  watchdog_armed_ = true;
  watchdog_.expires_at(deadline_);
  watchdog_.async_wait([this](beast::error_code ec) {
    watchdog_armed_ = false;
    if (ec) return;
    if (clock::now() < deadline_) return watch();
    // Closing the socket ends the pending write or read with an error.
    timed_out_ = true;
    close();
  });
}

std::string connection::failure(std::string_view what, const beast::error_code& ec) const {
  return std::string(what) + ": " + (timed_out_ ? std::string("timeout") : ec.message());
}

asio::awaitable<bool> connection::ensure_open(http_reply& reply) {
  if (open_) co_return true;
  socket_.emplace(tcp::socket(io_));
  auto [ec] = co_await socket_->async_connect(server_, nothrow);
  if (ec) {
    reply.error = failure("connect", ec);
    close();
    co_return false;
  }
  // Small requests and answers: waiting for Nagle would add 40 ms to each.
  socket_->set_option(tcp::no_delay(true), ec);
  open_ = true;
  ++connects_;
  co_return true;
}

asio::awaitable<http_reply> connection::exchange(const std::string& request) {
  http_reply reply;
  // One deadline covers connecting, writing the request and reading the whole answer.
  timed_out_ = false;
  deadline_ = clock::now() + timeout_;
  watch();
  if (!co_await ensure_open(reply)) {
    deadline_ = clock::time_point::max();
    co_return reply;
  }
  auto [wec, written] = co_await asio::async_write(*socket_, asio::buffer(request), nothrow);
  if (wec) {
    reply.error = failure("write", wec);
    close();
    deadline_ = clock::time_point::max();
    co_return reply;
  }
  answer_parser parser;
  parser.body_limit(body_limit);
  auto [rec, read] = co_await http::async_read(*socket_, buffer_, parser, nothrow);
  deadline_ = clock::time_point::max();
  if (rec) {
    reply.error = failure("read", rec);
    close();
    co_return reply;
  }
  reply.status = parser.status;
  reply.body = std::move(parser.body);
  if (!parser.keep_alive()) close();
  co_return reply;
}

asio::awaitable<std::vector<http_reply>> connection::exchange_pipelined(
    const std::vector<std::string>& requests) {
  std::vector<http_reply> replies(requests.size());
  if (requests.empty()) co_return replies;
  auto fail_from = [&](std::size_t first, const std::string& why) {
    for (auto i = first; i < replies.size(); ++i) replies[i].error = why;
    close();
    deadline_ = clock::time_point::max();
  };
  // One deadline covers connecting, writing every request and reading every answer.
  timed_out_ = false;
  deadline_ = clock::now() + timeout_;
  watch();
  if (!co_await ensure_open(replies[0])) {
    fail_from(1, replies[0].error);
    co_return replies;
  }
  std::vector<asio::const_buffer> out;
  out.reserve(requests.size());
  for (const auto& r : requests) out.push_back(asio::buffer(r));
  auto [wec, written] = co_await asio::async_write(*socket_, out, nothrow);
  if (wec) {
    fail_from(0, failure("write", wec));
    co_return replies;
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    answer_parser parser;
    parser.body_limit(body_limit);
    auto [rec, read] = co_await http::async_read(*socket_, buffer_, parser, nothrow);
    if (rec) {
      fail_from(i, failure("read", rec));
      co_return replies;
    }
    replies[i].status = parser.status;
    replies[i].body = std::move(parser.body);
    if (!parser.keep_alive()) {
      // The server closed after this answer: the requests behind it went unanswered.
      fail_from(i + 1, "read: connection closed by the server");
      co_return replies;
    }
  }
  deadline_ = clock::time_point::max();
  co_return replies;
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
      io,
      [&]() -> asio::awaitable<void> {
        reply = co_await conn.exchange(request);
        conn.stop();
      },
      asio::detached);
  io.run();
  return reply;
}

}  // namespace baton::bench
