#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace baton::outgoing {

/// An absolute http or https URL, taken apart for a connection and the allow-list.
struct url_target {
  bool tls = false;
  std::string host;        ///< without brackets
  std::uint16_t port = 0;  ///< the URL's, or the scheme's default
  std::string authority;   ///< host[:port] as the URL spells it (the Host header)
  std::string target;      ///< path and query, "/" at least (the request target)
};

/// The target of `url`, or why it has none: "invalid url: …" or "unsupported scheme: …".
std::variant<url_target, std::string> parse_target(std::string_view url);

/// `outgoing.allow_hosts`: the hosts Baton may call. An entry "host" allows every port of
/// that host, "host:port" (or "[v6]:port") one port; names compare case-insensitively and
/// are not resolved first, so "localhost" does not allow "127.0.0.1".
class allow_list {
 public:
  explicit allow_list(const std::vector<std::string>& entries);

  bool allows(std::string_view host, std::uint16_t port) const;
  /// Why a call to `target` would be refused ("host not allowed: <host[:port] as in the
  /// URL>"), or empty.
  std::string refusal(const url_target& target) const;
  /// The entries that were not understood (and allow nothing), for a warning.
  const std::vector<std::string>& malformed() const { return malformed_; }

 private:
  struct entry {
    std::string host;  ///< lower-case, without brackets
    std::uint16_t port = 0;
    bool any_port = true;
  };
  std::vector<entry> entries_;
  std::vector<std::string> malformed_;
};

}  // namespace baton::outgoing
