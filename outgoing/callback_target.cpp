#include "outgoing/callback_target.hpp"

#include <boost/beast/core/string.hpp>

#include "outgoing/client.hpp"

namespace baton::outgoing {

std::string callback_header_problem(std::string_view name, std::string_view value) {
  if (auto why = header_problem(name, value); !why.empty()) return why;
  static constexpr std::string_view reserved[] = {
      "host",       "content-length",  "transfer-encoding",
      "connection", "content-type",    "idempotency-key",
      "te",         "trailer",         "upgrade",
      "keep-alive", "proxy-connection"};
  for (auto r : reserved) {
    if (boost::beast::iequals(name, r)) return "is set by Baton itself";
  }
  return {};
}

std::string callback_url_problem(std::string_view url, const allow_list& allowed) {
  auto target = parse_target(url);
  const auto* t = std::get_if<url_target>(&target);
  if (!t) return "must be an absolute http or https URL";
  if (auto why = allowed.refusal(*t); !why.empty()) return why + " (outgoing.allow_hosts)";
  return {};
}

}  // namespace baton::outgoing
