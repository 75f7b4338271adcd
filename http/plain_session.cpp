#include "http/plain_session.hpp"

#include "http/drain_tracking_socket.hpp"
#include "http/session.hpp"

namespace baton::http {

namespace {

constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr std::size_t linger_limit = 1 << 20;

/// A connection without TLS.
class plain_session : public http_session<plain_session> {
 public:
  plain_session(tcp::socket&& socket, std::shared_ptr<server_state> state, std::string remote,
                std::size_t context)
      : http_session(socket.get_executor(), std::move(state), std::move(remote), context),
        stream_(std::move(socket)) {}

  drain_tracking_socket& stream() { return stream_; }

  void run() {
    // Start on the connection's thread: everything about this session runs there.
    net::dispatch(stream_.get_executor(), [self = self()] {
      if (self->register_connection()) self->do_read();
    });
  }

  void force_close() override { close_now(); }

  void do_eof() {
    if (stopping_) return close_now();
    // Half-close, so the client sees the end of the answers, then read and drop what it
    // still sends until it closes too: closing with unread data resets the connection,
    // which can destroy the answer (a 413, say) before the client has read it.
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    read_deadline(linger_timeout);
    buffer_.clear();
    do_linger();
  }

 private:
  void do_linger() {
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&plain_session::on_linger, self()));
  }

  void on_linger(beast::error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ > linger_limit) return close_now();
    do_linger();
  }

  drain_tracking_socket stream_;
  std::size_t drained_ = 0;
};

}  // namespace

void start_plain_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
                         std::string remote, std::size_t context) {
  std::make_shared<plain_session>(std::move(socket), std::move(state), std::move(remote), context)
      ->run();
}

}  // namespace baton::http
