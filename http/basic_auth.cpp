#include "http/basic_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "http/request_context.hpp"

namespace baton::http {

std::string base64_decode(std::string_view text, bool& ok) {
  ok = false;
  if (text.size() % 4 != 0) return {};
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return {};
  // EVP_DecodeBlock counts padding bytes as data: drop one per '='.
  auto padding = text.size() - text.find_last_not_of('=') - 1;
  out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(padding, 2));
  ok = true;
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()));
  return out;
}

bool has_basic_credentials(const request_context& ctx, const std::vector<std::string>& users) {
  if (users.empty()) return true;
  auto auth = ctx.header("authorization");
  if (auth.size() < 7 || auth.substr(0, 6) != "Basic ") return false;
  bool ok = false;
  auto given = base64_decode(auth.substr(6), ok);
  if (!ok) return false;
  bool match = false;
  for (const auto& u : users) {  // no early exit: the time does not tell which entry matched
    match |= u.size() == given.size() && CRYPTO_memcmp(u.data(), given.data(), u.size()) == 0;
  }
  return match;
}

}  // namespace baton::http
