#include "http/auth/oauth_credentials.hpp"

#include <simdjson.h>

#include "http/base64.hpp"

namespace baton::http::auth {

std::optional<oauth_credentials> decode_oauth_credentials(std::string_view credentials) {
  bool decoded = false;
  auto text = base64_decode(credentials, decoded);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view token, id, issued, signature;
  if (!decoded || parser.parse(text).get(doc) != simdjson::SUCCESS ||
      doc["access_token"].get_string().get(token) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  oauth_credentials out;
  out.access_token = std::string(token);
  if (doc["id"].get_string().get(id) == simdjson::SUCCESS &&
      doc["issued_at"].get_string().get(issued) == simdjson::SUCCESS &&
      doc["signature"].get_string().get(signature) == simdjson::SUCCESS) {
    out.signed_by = oauth_credentials::signed_fields{std::string(id), std::string(issued),
                                                     std::string(signature)};
  }
  return out;
}

}  // namespace baton::http::auth
