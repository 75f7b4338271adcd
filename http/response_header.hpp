#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/request_context.hpp"

namespace baton::http {

/// Appends the status line and header block of `res` (through the blank line) to `out`, the
/// bytes Beast's serializer would send for it once the server's own fields are set: the
/// handler's fields in their order, except `Server`, `X-Request-Id`, `Content-Length` and
/// `Transfer-Encoding`, which the server owns; then `Server: baton`, `X-Request-Id:
/// request_id` and, when given, `Content-Length: content_length`.
///
/// Why not `beast::http::async_write`: its serializer hands the socket a nest of buffer
/// views that cost ~19k instructions per answer (callgrind), half of a whole /healthz; one
/// flat header buffer and the body cost a few hundred.
void append_response_header(std::string& out, const response& res, std::string_view request_id,
                            std::optional<std::uint64_t> content_length);

}  // namespace baton::http
