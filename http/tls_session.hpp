#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace baton::http {

struct server_state;

/// A TLS server context with the certificate chain and private key in PEM files; TLS 1.2
/// and later only.
/// @throws std::runtime_error when the files cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

/// Serves HTTP/1.1 over TLS (with `state->tls`) on an accepted connection until either side
/// closes it. The handshake counts as reading the first request's header.
/// @param context index of the io_context (in `state->contexts`) that owns `socket`.
void start_tls_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state,
                       std::string remote, std::size_t context);

}  // namespace baton::http
