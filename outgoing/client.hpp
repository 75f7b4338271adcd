#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "outgoing/delegate_client.hpp"

namespace baton::outgoing {

namespace detail {
struct client_core;
}  // namespace detail

/// Tuning of `client` that is not part of the settings file.
struct client_options {
  std::size_t threads = 1;  ///< I/O threads of the client's own io_context
  std::string ca_file;      ///< extra PEM trust anchors besides the system's
  /// Larger answers fail with "response too large", unless the call sets a limit of its own.
  std::size_t response_limit = 8 << 20;
  /// Calls any host, `allow_hosts` aside: for the calls between a cluster's nodes, whose
  /// addresses come from etcd, never from a definition.
  bool any_host = false;
};

/// Longest header value an outgoing call may carry.
inline constexpr std::size_t max_header_value = 8192;

/// Why (`name`, `value`) cannot be an outgoing request header, or empty: the name must be an
/// HTTP token and the value must hold no CR, LF or NUL (which would let the value write
/// headers or requests of its own) and fit `max_header_value`.
std::string header_problem(std::string_view name, std::string_view value);

/// The `delegate_client` of `http` steps, over Beast on its own io_context and threads.
/// http and https (verified against the system's trust store and `ca_file`, with the URL's
/// host name checked and sent as SNI). Connections are kept alive and reused per
/// (scheme, host, port) for up to 15 s of idleness; a request whose reused connection
/// turns out closed before any answer arrived is sent once more on a fresh connection
/// (calls are at-least-once anyway and carry an Idempotency-Key).
///
/// Only hosts in `allow_hosts` may be called (`allow_list`); any other host fails at once
/// with the error "host not allowed: <host[:port] as in the URL>".
///
/// Errors (status 0): "host not allowed: …", "invalid url: …", "unsupported scheme: …",
/// "timeout after N ms", "resolve <host>: …", "connect <host:port>: …",
/// "TLS handshake: …", "write: …", "read: …", "response too large", "client stopped".
class client : public delegate_client {
 public:
  explicit client(config::outgoing_settings settings, client_options options = {});
  /// Ends every call in flight with the error "client stopped" (each callback still runs
  /// exactly once) and joins the threads. Must not run on one of the client's threads.
  ~client() override;
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Starts the call; `done` runs exactly once on one of the client's threads, never inside
  /// `call` itself. A timeout of zero or less means `settings.default_timeout`.
  /// Thread-safe.
  void call(outgoing_request request, callback done) override;

 private:
  std::shared_ptr<detail::client_core> impl_;
};

}  // namespace baton::outgoing
