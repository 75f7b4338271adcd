#pragma once

#include <functional>
#include <string_view>

#include "http/auth/authenticator.hpp"
#include "http/request_context.hpp"

namespace baton::http::auth {

/// Builds a route's own error body (problem+json, a vendor envelope, …) for 401/403/429.
using error_format = std::function<response(beast_http::status, std::string_view message)>;
using guarded_handler = std::function<void(request_context&&, const client&, responder)>;

/// Wraps `h`: authenticates with `schemes`, requires role `need`, and answers 401 (with
/// `WWW-Authenticate`), 403 or 429 (with `Retry-After`) in the route's own format.
handler protect(authenticator& auth, unsigned schemes, role need, error_format format,
                guarded_handler h);

/// Wraps `h`: a successful answer (below 300) is recorded in the audit log as `event`, with
/// the client, its address and the path. For changes an operator must be able to trace.
guarded_handler audited(authenticator& auth, const char* event, guarded_handler h);

/// RFC 9457 problem+json: the native API's format.
response problem_format(beast_http::status status, std::string_view message);

}  // namespace baton::http::auth
