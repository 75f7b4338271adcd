#include "http/auth/grants.hpp"

#include <algorithm>

#include "http/auth/secrets.hpp"
#include "model/backoff.hpp"

namespace baton::http::auth {

grant_store::grant_store(storage::process_store& store, std::string secret,
                         std::chrono::milliseconds token_ttl, std::chrono::milliseconds session_ttl,
                         model::clock_ms clock)
    : store_(store),
      clock_(std::move(clock)),
      secret_(std::move(secret)),
      token_ttl_(token_ttl),
      session_ttl_(session_ttl) {
  if (auto loaded = reload(); !loaded.ok())
    throw std::runtime_error("cannot read tokens and sessions: " + loaded.describe());
}

storage::status grant_store::reload() {
  auto now = clock_();
  grant_map tokens, sessions;
  for (auto kind : {storage::grant_kind::token, storage::grant_kind::session}) {
    auto stored = store_.grants(kind, now);
    if (!stored.ok()) return stored.error();
    auto& into = kind == storage::grant_kind::token ? tokens : sessions;
    for (auto& [h, g] : stored.value()) into.emplace(h, std::move(g));
  }
  std::lock_guard lock(mutex_);
  tokens_ = std::move(tokens);
  sessions_ = std::move(sessions);
  return {};
}

std::string grant_store::hash(std::string_view kind, std::string_view value) const {
  return to_hex(hmac_sha256(secret_, std::string(kind) + ':' + std::string(value)));
}

void grant_store::add(storage::grant_kind kind, const std::string& h, grant g,
                      std::function<void(const storage::status&)> done) {
  store_.put_grant(kind, h, g,
                   [this, kind, h, g, done = std::move(done)](const storage::status& written) {
                     if (written.ok()) {
                       std::lock_guard lock(mutex_);
                       map_of(kind)[h] = g;
                     }
                     done(written);
                   });
}

void grant_store::remove(storage::grant_kind kind, const std::string& h, revoked_fn done) {
  grant old;
  {
    std::lock_guard lock(mutex_);
    auto& target = map_of(kind);
    auto it = target.find(h);
    if (it == target.end()) return done({}, false);
    old = std::move(it->second);
    target.erase(it);
  }
  store_.erase_grant(kind, h,
                     [this, kind, h, old, done = std::move(done)](const storage::status& written) {
                       if (!written.ok()) {
                         std::lock_guard lock(mutex_);
                         map_of(kind).emplace(h, old);
                       }
                       done(written, written.ok());
                     });
}

std::string grant_store::signature(std::string_view id_url, std::int64_t issued_ms) const {
  return base64(hmac_sha256(secret_, std::string(id_url) + std::to_string(issued_ms)));
}

void grant_store::issue_token(const std::string& client_id, std::string_view id_url,
                              issued_fn<issued_token> done) {
  issued_token t;
  t.access_token = base64url(random_bytes(32));
  t.issued_ms = clock_();
  t.signature = signature(id_url, t.issued_ms);
  auto h = hash("token", t.access_token);
  add(storage::grant_kind::token, h, {client_id, t.issued_ms + token_ttl_.count()},
      [t, done = std::move(done)](const storage::status& written) { done(written, t); });
}

std::optional<std::string> grant_store::check_token(std::string_view token) {
  auto h = hash("token", token);
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(h);
  if (it == tokens_.end()) return std::nullopt;
  if (it->second.expires_ms <= clock_()) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return it->second.client_id;
}

void grant_store::revoke_token(std::string_view token, revoked_fn done) {
  remove(storage::grant_kind::token, hash("token", token), std::move(done));
}

std::string grant_store::csrf_for(std::string_view session_id) const {
  return base64url(hmac_sha256(secret_, "csrf:" + std::string(session_id)));
}

void grant_store::open_session(const std::string& client_id, issued_fn<issued_session> done) {
  issued_session s;
  s.id = base64url(random_bytes(24));
  s.csrf = csrf_for(s.id);
  s.aspxauth = to_hex(hmac_sha256(secret_, "aspxauth:" + s.id));
  add(storage::grant_kind::session, hash("session", s.id),
      {client_id, clock_() + session_ttl_.count()},
      [s, done = std::move(done)](const storage::status& written) { done(written, s); });
}

std::optional<std::string> grant_store::check_session(std::string_view session_id,
                                                      std::string_view csrf) {
  if (!equal_constant_time(csrf, csrf_for(session_id))) return std::nullopt;
  auto h = hash("session", session_id);
  auto now = clock_();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(h);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_ms <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  // Sliding expiry lives in memory; a restart keeps the expiry of the last login.
  it->second.expires_ms = now + session_ttl_.count();
  return it->second.client_id;
}

void grant_store::close_session(std::string_view session_id, revoked_fn done) {
  remove(storage::grant_kind::session, hash("session", session_id), std::move(done));
}

void throttle::bump(record& r, std::int64_t now, std::int64_t cap_ms) {
  if (now - r.last_failure_ms > 600'000) r.failures = 0;
  r.last_failure_ms = now;
  ++r.failures;
  if (r.failures <= 3) return;
  auto delay =
      model::backoff_ms({model::backoff_kind::exponential, 1000, 2, cap_ms}, r.failures - 3, 0.0);
  r.blocked_until_ms = now + delay;
}

int throttle::wait_seconds(const std::unordered_map<std::string, record>& records,
                           std::string_view key, std::int64_t now) {
  auto it = records.find(std::string(key));
  if (it == records.end() || it->second.blocked_until_ms <= now) return 0;
  return static_cast<int>((it->second.blocked_until_ms - now + 999) / 1000);
}

int throttle::name_retry_after(std::string_view name) {
  auto now = clock_();
  std::lock_guard lock(mutex_);
  return wait_seconds(by_name_, name, now);
}

int throttle::address_retry_after(std::string_view address) {
  auto now = clock_();
  std::lock_guard lock(mutex_);
  return wait_seconds(by_address_, address, now);
}

void throttle::name_failed(std::string_view name) {
  auto now = clock_();
  std::lock_guard lock(mutex_);
  if (by_name_.size() > 100'000) by_name_.clear();  // bounded under a spray of names
  bump(by_name_[std::string(name)], now, 30'000);
}

void throttle::address_failed(std::string_view address) {
  auto now = clock_();
  std::lock_guard lock(mutex_);
  if (by_address_.size() > 100'000) by_address_.clear();
  bump(by_address_[std::string(address)], now, 60'000);
}

void throttle::succeeded(std::string_view name) {
  std::lock_guard lock(mutex_);
  by_name_.erase(std::string(name));
}

}  // namespace baton::http::auth
