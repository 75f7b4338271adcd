#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace baton::http::auth {

/// What an `Authorization: OAuth <base64>` header carries: the token endpoint's answer, as the
/// job workflow's clients send it back.
struct oauth_credentials {
  std::string access_token;
  /// id, issued_at and signature, when all three are strings: the signature ties the token to
  /// its id and issue time, as the token answer said.
  struct signed_fields {
    std::string id;
    std::string issued_at;
    std::string signature;
    bool operator==(const signed_fields&) const = default;
  };
  std::optional<signed_fields> signed_by;
  bool operator==(const oauth_credentials&) const = default;
};

/// Decodes the credentials of an OAuth header (what follows `OAuth `).
/// @returns nullopt unless they are base64 of a JSON document with a string `access_token`.
std::optional<oauth_credentials> decode_oauth_credentials(std::string_view credentials);

}  // namespace baton::http::auth
