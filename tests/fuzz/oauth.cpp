// Fuzzes the job workflow's `Authorization: OAuth <base64 token JSON>` credentials
// (http/auth/oauth_credentials, http/base64). The first byte says whether the rest is the
// header's credentials as sent (base64 text) or the token JSON, base64-encoded here first so
// that the fuzzer explores the JSON rather than base64 noise. Properties: base64 decodes what
// base64 encodes; decoded credentials written again as a token answer decode to themselves.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/auth/oauth_credentials.hpp"
#include "http/auth/secrets.hpp"
#include "http/base64.hpp"
#include "http/problem.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton::http;
using baton::fuzz::require;

namespace {

std::string json_string(std::string_view s) { return "\"" + json_escape(s) + "\""; }

/// The token endpoint's answer carrying `c`, as a client sends it back.
std::string as_header(const auth::oauth_credentials& c) {
  std::string json = "{\"access_token\":" + json_string(c.access_token);
  if (c.signed_by) {
    json += ",\"id\":" + json_string(c.signed_by->id) +
            ",\"issued_at\":" + json_string(c.signed_by->issued_at) +
            ",\"signature\":" + json_string(c.signed_by->signature);
  }
  return auth::base64(json + "}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string credentials;
  if (data[0] & 1) {
    credentials = auth::base64(rest);
    bool ok = false;
    require(base64_decode(credentials, ok) == rest && ok, "base64 decodes what it encoded", rest);
  } else {
    credentials = std::string(rest);
  }
  auto decoded = auth::decode_oauth_credentials(credentials);
  if (!decoded) return 0;
  auto again = auth::decode_oauth_credentials(as_header(*decoded));
  require(again && *again == *decoded, "credentials decode to themselves once written again", rest);
  return 0;
}
