#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "http/auth/clients.hpp"
#include "http/request_context.hpp"

namespace baton::storage {
class audit_log;
}

namespace baton::http::auth {

class grant_store;
class throttle;
using storage::audit_log;

/// The credential schemes a route accepts.
enum scheme : unsigned {
  api_key = 1,       ///< x-api-key: KEY, or Authorization: Bearer KEY
  basic = 2,         ///< Authorization: Basic base64(name:password)
  bearer_token = 4,  ///< Authorization: Bearer <OAuth access token>
  oauth_header = 8,  ///< Authorization: OAuth base64(<token endpoint answer JSON>)
  session = 16,      ///< BPMSESSIONID cookie + BPMCSRF header
};
inline constexpr unsigned native_schemes = api_key | basic | bearer_token | oauth_header | session;

struct outcome {
  /// busy: no password check slot was free (503; nothing was counted against anyone).
  enum class kind { ok, missing, invalid, throttled, busy } result = kind::missing;
  /// Shared, so that the configured keys' client is not copied for every request.
  std::shared_ptr<const client> who;
  int retry_after = 0;  ///< seconds, when throttled or busy
  /// invalid: what the client must send differently, when saying it reveals no secret (a
  /// session proved without its CSRF header); empty otherwise.
  std::string hint;
};

/// One auth model for every front end: finds the client behind a request's credentials.
/// Every credential is checked before any failure record is looked at, so a valid one is
/// answered whatever others did from its address; the one exception is a password for a
/// name under a guessing block (see `throttle`). Failures are audited; an error never says
/// whether the name or the secret was wrong.
class authenticator {
 public:
  authenticator(const config::auth_settings& settings, client_directory& clients,
                grant_store& grants, throttle& limits, audit_log& audit);

  outcome authenticate(const request_context& ctx, unsigned schemes);
  /// The `WWW-Authenticate` value naming the accepted schemes.
  static std::string challenge(unsigned schemes);

  /// Checks a name and password (Basic, token endpoint, session login), with throttling.
  /// A wrong password counts against the name, an unknown name also against the address.
  outcome check_password(std::string_view name, std::string_view password,
                         const std::string& address);

  client_directory& clients() { return clients_; }
  grant_store& grants() { return grants_; }
  audit_log& audit() { return audit_; }
  const config::auth_settings& settings() const { return settings_; }

 private:
  outcome api_key_check(std::string_view key, const std::string& address);
  /// The client (or static admin) owning API key `key`, if any; records nothing.
  std::shared_ptr<const client> key_owner(std::string_view key) const;
  outcome token_check(std::string_view token, const request_context& ctx);
  /// A credential that matched no identity: 429 when `address` is already blocked, else it
  /// is counted against the address and answered 401.
  outcome unknown_credential(const std::string& address, std::string_view scheme);

  config::auth_settings settings_;
  client_directory& clients_;
  grant_store& grants_;
  throttle& limits_;
  audit_log& audit_;
};

/// The value of cookie `name` in the request's Cookie header(s); empty when absent.
std::string cookie(const request_context& ctx, std::string_view name);

}  // namespace baton::http::auth
