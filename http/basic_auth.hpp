#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baton::http {

struct request_context;

/// Whether the request's `Authorization: Basic` credentials match one of `users`
/// ("user:password" entries), compared in constant time. No users configured: open.
bool has_basic_credentials(const request_context& ctx, const std::vector<std::string>& users);

/// Decodes standard base64; nullopt-like empty result with `ok = false` when malformed.
std::string base64_decode(std::string_view text, bool& ok);
std::string base64_encode(std::string_view bytes);

}  // namespace baton::http
