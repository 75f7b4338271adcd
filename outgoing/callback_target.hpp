#pragma once

#include <string>
#include <string_view>

#include "outgoing/allow_list.hpp"

namespace baton::outgoing {

/// Why `url` cannot be a callback target ("must be an absolute http or https URL", "host not
/// allowed: …" by `outgoing.allow_hosts`), or empty. Checked when the process starts, so
/// that a target no delivery could reach is refused to the client instead of given up later.
std::string callback_url_problem(std::string_view url, const allow_list& allowed);

/// Why (`name`, `value`) cannot be a callback header, or empty: `header_problem`, and none of
/// the headers that frame the request or that Baton sets itself (Host, Content-Length,
/// Transfer-Encoding, Connection, Content-Type, Idempotency-Key, …).
std::string callback_header_problem(std::string_view name, std::string_view value);

}  // namespace baton::outgoing
