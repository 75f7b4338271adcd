#include "tests/e2e/stub_server.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <mutex>
#include <thread>

namespace baton::test {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string stub_request::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

struct stub_server::impl {
  explicit impl(handler h) : on_request(std::move(h)), acceptor(ioc) {}

  /// One client connection: read a request, answer it, and again while it keeps alive.
  struct session : std::enable_shared_from_this<session> {
    session(impl& owner, tcp::socket socket) : owner_(owner), socket_(std::move(socket)) {}

    void do_read() {
      req_ = {};
      bh::async_read(
          socket_, buffer_, req_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec) return;  // closed by the client, or the stub is stopping
      stub_request seen;
      seen.method = std::string(req_.method_string());
      seen.target = std::string(req_.target());
      seen.body = req_.body();
      for (const auto& field : req_) {
        seen.headers[lower(field.name_string())] = std::string(field.value());
      }
      std::size_t index;
      {
        std::lock_guard lock(owner_.mutex);
        index = owner_.seen.size();
        owner_.seen.push_back(seen);
      }
      auto reply = owner_.on_request(seen, index);
      res_ = {static_cast<bh::status>(reply.status), req_.version()};
      res_.set(bh::field::content_type, "application/json");
      res_.body() = std::move(reply.body);
      res_.keep_alive(req_.keep_alive());
      res_.prepare_payload();
      bh::async_write(
          socket_, res_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
      if (ec) return;
      if (!res_.keep_alive()) {
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
      do_read();
    }

    impl& owner_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
    bh::request<bh::string_body> req_;
    bh::response<bh::string_body> res_;
  };

  void do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
      std::make_shared<session>(*this, std::move(socket))->do_read();
      do_accept();
    });
  }

  handler on_request;
  net::io_context ioc;
  tcp::acceptor acceptor;
  std::thread runner;
  mutable std::mutex mutex;
  std::vector<stub_request> seen;
};

stub_server::stub_server(handler h) : impl_(std::make_unique<impl>(std::move(h))) {
  tcp::endpoint at(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen();
  impl_->do_accept();
  impl_->runner = std::thread([state = impl_.get()] { state->ioc.run(); });
}

stub_server::~stub_server() {
  impl_->ioc.stop();
  impl_->runner.join();
}

std::uint16_t stub_server::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string stub_server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
}

std::vector<stub_request> stub_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen;
}

std::size_t stub_server::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen.size();
}

}  // namespace baton::test
