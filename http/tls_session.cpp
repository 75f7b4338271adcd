#include "http/tls_session.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/session.hpp"

namespace baton::http {

namespace {

namespace ssl = boost::asio::ssl;

constexpr auto linger_timeout = std::chrono::seconds(2);

/// A connection over TLS: the handshake comes first and counts as reading the header.
class tls_session : public http_session<tls_session> {
 public:
  tls_session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<server_state> state,
              std::string remote, std::size_t context)
      : http_session(socket.get_executor(), std::move(state), std::move(remote), context),
        stream_(std::move(socket), ctx) {}

  beast::ssl_stream<tcp::socket>& stream() { return stream_; }

  void run() {
    net::dispatch(stream_.get_executor(), [self = self()] { self->do_handshake(); });
  }

  void force_close() override { close_now(); }

  void do_eof() {
    if (!handshake_done_ || stopping_) return close_now();
    // Send close_notify so the client can tell the end of the answers from a truncation;
    // bounded, because a client need not answer it.
    read_deadline(linger_timeout);
    stream_.async_shutdown(beast::bind_front_handler(&tls_session::on_tls_shutdown, self()));
  }

 private:
  void do_handshake() {
    if (!register_connection()) return;
    reading_ = true;  // so that a stop cancels the handshake like a read
    // The handshake shares the header deadline: both are what a client owes before we
    // know it is a client at all.
    read_deadline(state_->settings.header_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&tls_session::on_handshake, self()));
  }

  void on_handshake(beast::error_code ec) {
    reading_ = false;
    read_deadline_ = never;
    if (ec || closing_) return close_now();
    handshake_done_ = true;
    do_read();
  }

  void on_tls_shutdown(beast::error_code) { close_now(); }

  beast::ssl_stream<tcp::socket> stream_;
  bool handshake_done_ = false;
};

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const std::string& cert_file,
                                               const std::string& key_file) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  try {
    tls->use_certificate_chain_file(cert_file);
    tls->use_private_key_file(key_file, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot use TLS certificate '" + cert_file + "' and key '" + key_file +
                             "': " + e.what());
  }
  return tls;
}

void start_tls_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
                       std::string remote, std::size_t context) {
  auto& tls = *state->tls;
  std::make_shared<tls_session>(std::move(socket), tls, std::move(state), std::move(remote),
                                context)
      ->run();
}

}  // namespace baton::http
