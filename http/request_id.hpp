#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace baton::http {

/// The id the server gives a request that brought no usable one of its own: 16 hex digits,
/// unique per server run for a given `seed` while a connection serves fewer than 2^24
/// requests.
std::string make_request_id(std::uint64_t seed, std::uint64_t session, std::uint64_t n);

/// Whether a client's `X-Request-Id` may be echoed and logged as it is: 1 to 128 visible
/// ASCII characters.
bool usable_request_id(std::string_view id);

}  // namespace baton::http
