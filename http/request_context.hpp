#pragma once

#include <atomic>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace baton::http {

namespace beast_http = boost::beast::http;
using request = beast_http::request<beast_http::string_body>;
using response = beast_http::response<beast_http::string_body>;

/// Everything a handler needs to know about one request; knows nothing of sockets.
struct request_context {
  request req;
  std::string remote_address;  ///< peer IP, for throttling and audit
  std::string path;            ///< percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;        ///< decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;  ///< filled by the router
  std::string route;       ///< the matched pattern, e.g. "/api/v1/processes/{id}"
  std::string request_id;  ///< echoed as X-Request-Id and logged with 5xx
  std::chrono::steady_clock::time_point received;
  /// Set by the connection when its client has gone (end of stream, a transport error):
  /// a long poll answered after that reaches nobody.
  std::shared_ptr<const std::atomic<bool>> peer_gone;

  /// Whether the client that sent this request is known to have gone.
  bool client_gone() const { return peer_gone && peer_gone->load(std::memory_order_relaxed); }

  /// The value of `{name}` in the matched route; empty when absent.
  std::string_view param(std::string_view name) const;
  /// The last value of query parameter `name`, if present.
  std::optional<std::string_view> query_value(std::string_view name) const;
  /// The value of header `name` (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
};

/// A whole decimal integer (a query parameter's text), or nullopt when it is not one.
std::optional<std::int64_t> parse_whole_int(std::string_view text);

/// Sends the answer. Safe to call from any thread, exactly once; it posts to the session.
using responder = std::function<void(response)>;

/// A route's handler. It may answer at once or later (after an actor replied). The context
/// is passed on by reference through the layers that wrap a handler (auth, audit, routes):
/// each copy by value moved a parsed request, ~300 instructions a layer.
using handler = std::function<void(request_context&&, responder)>;

}  // namespace baton::http
