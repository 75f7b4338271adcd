#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <string>

namespace baton::http {

struct server_state;

/// Serves HTTP/1.1 on an accepted connection without TLS until either side closes it.
/// @param context index of the io_context (in `state->contexts`) that owns `socket`.
void start_plain_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state,
                         std::string remote, std::size_t context);

}  // namespace baton::http
