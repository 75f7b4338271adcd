#include "http/auth/grants.hpp"

#include <algorithm>

#include "http/auth/secrets.hpp"
#include "model/backoff.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http::auth {

grant_store::grant_store(storage::process_store& store, std::string secret,
                         std::chrono::milliseconds token_ttl, std::chrono::milliseconds session_ttl,
                         model::clock_ms clock)
    : store_(store),
      clock_(std::move(clock)),
      secret_(std::move(secret)),
      token_ttl_(token_ttl),
      session_ttl_(session_ttl) {
  auto now = clock_();
  for (auto [prefix, target] : {std::pair{std::string_view("token/"), &tokens_},
                                std::pair{std::string_view("session/"), &sessions_}}) {
    auto scanned = store_.database().scan(
        storage::cf::auth, prefix, {}, [&](std::string_view k, std::string_view v) {
          auto client = storage::value_at_pointer(storage::json_of(v), "/client");
          auto expires = storage::value_at_pointer(storage::json_of(v), "/expiresMs");
          if (client && expires && expires->integer > now) {
            (*target)[std::string(k.substr(prefix.size()))] = {client->text, expires->integer};
          }
          return true;
        });
    if (!scanned.ok()) {
      throw std::runtime_error("cannot read tokens and sessions: " + scanned.describe());
    }
  }
}

std::string grant_store::hash(std::string_view kind, std::string_view value) const {
  return to_hex(hmac_sha256(secret_, std::string(kind) + ':' + std::string(value)));
}

void grant_store::persist(std::string_view key, const grant& g, bool erase,
                          std::function<void(const std::string&)> done) {
  storage::batch b;
  if (erase) {
    b.erase(storage::cf::auth, key);
  } else {
    b.put(storage::cf::auth, key,
          std::string(1, storage::format_v1) + "{\"client\":\"" + g.client_id +
              "\",\"expiresMs\":" + std::to_string(g.expires_ms) + "}");
  }
  // The callers speak the error text (`status::describe`: the storage code first).
  store_.committer().submit(std::move(b), [done = std::move(done)](const storage::status& w) {
    done(w.ok() ? std::string() : w.describe());
  });
}

void grant_store::add(grant_map& target, std::string_view prefix, const std::string& h, grant g,
                      std::function<void(const std::string&)> done) {
  persist(std::string(prefix) + h, g, false,
          [this, &target, h, g, done = std::move(done)](const std::string& error) {
            if (error.empty()) {
              std::lock_guard lock(mutex_);
              target[h] = g;
            }
            done(error);
          });
}

void grant_store::remove(grant_map& target, std::string_view prefix, const std::string& h,
                         revoked_fn done) {
  grant old;
  {
    std::lock_guard lock(mutex_);
    auto it = target.find(h);
    if (it == target.end()) return done({}, false);
    old = std::move(it->second);
    target.erase(it);
  }
  persist(std::string(prefix) + h, {}, true,
          [this, &target, h, old, done = std::move(done)](const std::string& error) {
            if (!error.empty()) {
              std::lock_guard lock(mutex_);
              target.emplace(h, old);
            }
            done(error, error.empty());
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
  add(tokens_, "token/", h, {client_id, t.issued_ms + token_ttl_.count()},
      [t, done = std::move(done)](const std::string& error) { done(error, t); });
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
  remove(tokens_, "token/", hash("token", token), std::move(done));
}

std::string grant_store::csrf_for(std::string_view session_id) const {
  return base64url(hmac_sha256(secret_, "csrf:" + std::string(session_id)));
}

void grant_store::open_session(const std::string& client_id, issued_fn<issued_session> done) {
  issued_session s;
  s.id = base64url(random_bytes(24));
  s.csrf = csrf_for(s.id);
  s.aspxauth = to_hex(hmac_sha256(secret_, "aspxauth:" + s.id));
  add(sessions_, "session/", hash("session", s.id), {client_id, clock_() + session_ttl_.count()},
      [s, done = std::move(done)](const std::string& error) { done(error, s); });
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
  remove(sessions_, "session/", hash("session", session_id), std::move(done));
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
