#include "http/auth/authenticator.hpp"

#include <charconv>

#include "http/auth/grants.hpp"
#include "http/auth/oauth_credentials.hpp"
#include "http/auth/secrets.hpp"
#include "http/base64.hpp"
#include "storage/audit_log.hpp"

namespace baton::http::auth {

namespace {

/// The principal of statically configured credentials and of `auth.required = false`.
std::shared_ptr<const client> static_admin(std::string name) {
  client c;
  c.id = name;
  c.name = std::move(name);
  c.role = role::admin;
  return std::make_shared<const client>(std::move(c));
}

/// The admin behind `auth.api_keys`, made once: every request with such a key shares it.
const std::shared_ptr<const client>& config_key_admin() {
  static const auto admin = static_admin("config-key");
  return admin;
}

/// Everyone, when `auth.required` is false.
const std::shared_ptr<const client>& anonymous_admin() {
  static const auto admin = static_admin("anonymous");
  return admin;
}

outcome ok(std::shared_ptr<const client> c) {
  outcome o;
  o.result = outcome::kind::ok;
  o.who = std::move(c);
  return o;
}

outcome ok(client c) { return ok(std::make_shared<const client>(std::move(c))); }

outcome refused(outcome::kind k, int retry_after = 0) {
  outcome o;
  o.result = k;
  o.retry_after = retry_after;
  return o;
}

}  // namespace

std::string cookie(const request_context& ctx, std::string_view name) {
  for (const auto& field : ctx.req) {
    if (field.name() != beast_http::field::cookie) continue;
    std::string_view header = field.value();
    while (!header.empty()) {
      auto end = header.find(';');
      auto pair = header.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
      if (end == std::string_view::npos) break;
      header.remove_prefix(end + 1);
    }
  }
  return {};
}

authenticator::authenticator(const config::auth_settings& settings, client_directory& clients,
                             grant_store& grants, throttle& limits, audit_log& audit)
    : settings_(settings), clients_(clients), grants_(grants), limits_(limits), audit_(audit) {}

std::string authenticator::challenge(unsigned schemes) {
  std::string out;
  auto add = [&](std::string_view s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  if (schemes & basic) add("Basic realm=\"baton\"");
  if (schemes & (api_key | bearer_token)) add("Bearer realm=\"baton\"");
  if (schemes & api_key) add("ApiKey header=\"x-api-key\"");
  if (schemes & oauth_header) add("OAuth realm=\"baton\"");
  if (schemes & session) add("Session cookie=\"BPMSESSIONID\", csrf=\"BPMCSRF\"");
  return out;
}

outcome authenticator::unknown_credential(const std::string& address, std::string_view scheme) {
  if (int wait = limits_.address_retry_after(address); wait > 0) {
    // Not counted again: the block does not grow while the guesser is told to wait.
    audit_.record("throttled", "", address, scheme);
    return refused(outcome::kind::throttled, wait);
  }
  limits_.address_failed(address);
  audit_.record("auth_failed", "", address, scheme);
  return refused(outcome::kind::invalid);
}

outcome authenticator::check_password(std::string_view name, std::string_view password,
                                      const std::string& address) {
  // Someone is guessing this name's password: it waits, right or wrong, before any Argon2
  // runs. Every name (known or not) can get such a record, so the wait reveals nothing.
  if (int wait = limits_.name_retry_after(name); wait > 0) {
    audit_.record("throttled", name, address, "password");
    return refused(outcome::kind::throttled, wait);
  }
  auto pair = std::string(name) + ":" + std::string(password);
  auto prefix = std::string(name) + ":";
  bool static_match = false;
  bool static_name = false;
  for (const auto& u : settings_.basic_users) {
    static_match |= equal_constant_time(u, pair);
    static_name |= u.rfind(prefix, 0) == 0;
  }
  if (static_match) {
    limits_.succeeded(name);
    return ok(static_admin(std::string(name)));
  }
  auto check = clients_.check_password(name, password);
  switch (check.result) {
    case password_check::kind::ok:
      limits_.succeeded(name);
      return ok(std::move(*check.who));
    case password_check::kind::busy:
      // Argon2 is rationed; the caller may try again in a second. Nobody is at fault.
      return refused(outcome::kind::busy, 1);
    case password_check::kind::wrong:
      break;
  }
  // A wrong password is a guess at this name's secret: it counts against the name. An
  // unknown name is a guess at who exists: it also counts against the address. An address
  // already blocked is told to wait either way, so the answer does not tell the two apart.
  int address_wait = limits_.address_retry_after(address);
  limits_.name_failed(name);
  if (!check.name_known && !static_name && address_wait == 0) limits_.address_failed(address);
  if (address_wait > 0) {
    audit_.record("throttled", name, address, "password");
    return refused(outcome::kind::throttled, address_wait);
  }
  audit_.record("auth_failed", name, address, "password");
  return refused(outcome::kind::invalid);
}

outcome authenticator::api_key_check(std::string_view key, const std::string& address) {
  // The key first: a valid key is answered whatever failures its address has.
  if (auto c = key_owner(key)) return ok(std::move(c));
  return unknown_credential(address, "api key");
}

std::shared_ptr<const client> authenticator::key_owner(std::string_view key) const {
  bool static_match = false;
  for (const auto& k : settings_.api_keys) static_match |= equal_constant_time(k, key);
  if (static_match) return config_key_admin();
  auto owner = clients_.by_api_key(key);
  return owner ? std::make_shared<const client>(std::move(*owner)) : nullptr;
}

outcome authenticator::token_check(std::string_view token, const request_context& ctx) {
  if (!settings_.oauth_host.empty() && ctx.header("x-forwarded-host") != settings_.oauth_host) {
    return unknown_credential(ctx.remote_address, "token: wrong X-Forwarded-Host");
  }
  auto id = grants_.check_token(token);
  auto c = id ? clients_.find(*id) : std::nullopt;
  if (!c || !c->enabled) return unknown_credential(ctx.remote_address, "token");
  return ok(std::move(*c));
}

outcome authenticator::authenticate(const request_context& ctx, unsigned schemes) {
  if (!settings_.required) return ok(anonymous_admin());
  const auto& address = ctx.remote_address;
  auto authorization = ctx.header("authorization");
  auto space = authorization.find(' ');
  // Scheme names are case-insensitive (RFC 9110 §11.1).
  std::string kind(authorization.substr(0, space));
  for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto credentials =
      space == std::string_view::npos ? std::string_view{} : authorization.substr(space + 1);

  if (!authorization.empty()) {
    if (kind == "basic" && (schemes & basic)) {
      bool decoded = false;
      auto pair = base64_decode(credentials, decoded);
      auto colon = pair.find(':');
      if (!decoded || colon == std::string::npos) return unknown_credential(address, "basic");
      return check_password(pair.substr(0, colon), pair.substr(colon + 1), address);
    }
    if (kind == "bearer" && (schemes & (api_key | bearer_token))) {
      // The value may be an API key or an access token: try the key first (cheap, no
      // failure recorded), then the token; one failure is recorded when neither matches.
      if (schemes & api_key) {
        if (auto c = key_owner(credentials)) return ok(std::move(c));
      }
      if (schemes & bearer_token) return token_check(credentials, ctx);
      return unknown_credential(address, "api key");
    }
    if (kind == "oauth" && (schemes & oauth_header)) {
      auto oauth = decode_oauth_credentials(credentials);
      if (!oauth) return unknown_credential(address, "oauth header");
      if (const auto& s = oauth->signed_by) {
        std::int64_t issued_ms = 0;
        auto res = std::from_chars(s->issued_at.data(), s->issued_at.data() + s->issued_at.size(),
                                   issued_ms);
        if (res.ec != std::errc{} ||
            !equal_constant_time(s->signature, grants_.signature(s->id, issued_ms))) {
          return unknown_credential(address, "oauth header: bad signature");
        }
      }
      return token_check(oauth->access_token, ctx);
    }
    return unknown_credential(address, "unsupported scheme");
  }
  if (schemes & api_key) {
    if (auto key = ctx.header("x-api-key"); !key.empty()) return api_key_check(key, address);
  }
  if (schemes & session) {
    auto sid = cookie(ctx, "BPMSESSIONID");
    if (!sid.empty()) {
      auto header_csrf = ctx.header("bpmcsrf");
      auto cookie_csrf = cookie(ctx, "BPMCSRF");
      if (header_csrf.empty() || !equal_constant_time(header_csrf, cookie_csrf)) {
        auto o = unknown_credential(address, "session: missing or wrong BPMCSRF");
        // Which header to send is no secret: the login answered it as a cookie.
        if (o.result == outcome::kind::invalid) {
          o.hint = header_csrf.empty()
                       ? "the BPMCSRF header is missing: send the BPMCSRF cookie's value in it"
                       : "the BPMCSRF header does not match the BPMCSRF cookie";
        }
        return o;
      }
      auto id = grants_.check_session(sid, header_csrf);
      auto c = id ? clients_.find(*id) : std::nullopt;
      if (!c || !c->enabled) return unknown_credential(address, "session");
      return ok(std::move(*c));
    }
  }
  return {};
}

}  // namespace baton::http::auth
