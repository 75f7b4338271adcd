#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace baton::storage {
class process_store;
}

namespace baton::http::auth {

/// An OAuth access token as the token endpoint answers it.
struct issued_token {
  std::string access_token;
  std::int64_t issued_ms = 0;
  std::string signature;  ///< base64 HMAC-SHA256 over id + issued_at
};

/// A login session: its id (BPMSESSIONID), the CSRF value bound to it, and .ASPXAUTH.
struct issued_session {
  std::string id;
  std::string csrf;
  std::string aspxauth;
};

/// Access tokens and sessions: stored as keyed hashes in the `auth` column family (a leaked
/// database does not leak usable tokens), checked in memory. Thread-safe.
class grant_store {
 public:
  grant_store(storage::process_store& store, std::string secret,
              std::chrono::milliseconds token_ttl, std::chrono::milliseconds session_ttl);

  issued_token issue_token(const std::string& client_id, std::string_view id_url);
  /// The client id of a valid, unexpired, unrevoked token.
  std::optional<std::string> check_token(std::string_view token);
  bool revoke_token(std::string_view token);
  /// HMAC-SHA256(secret, id + issued_at), base64: what the token answer's signature holds.
  std::string signature(std::string_view id_url, std::int64_t issued_ms) const;

  issued_session open_session(const std::string& client_id);
  /// The client id when the session is live and `csrf` is the value bound to it; each use
  /// extends the session (sliding expiry).
  std::optional<std::string> check_session(std::string_view session_id, std::string_view csrf);
  /// The session's client id without the CSRF check (for logout and cookie-only reads).
  bool close_session(std::string_view session_id);
  std::string csrf_for(std::string_view session_id) const;

 private:
  struct grant {
    std::string client_id;
    std::int64_t expires_ms;
  };
  std::string hash(std::string_view kind, std::string_view value) const;
  void persist(std::string_view key, const grant& g, bool erase = false);

  storage::process_store& store_;
  std::string secret_;
  std::chrono::milliseconds token_ttl_, session_ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, grant> tokens_;    // by hash
  std::unordered_map<std::string, grant> sessions_;  // by hash
};

/// Growing delays after failed logins, per client name and per source address: 3 free
/// failures, then 1 s, 2 s, 4 s … capped (30 s per name so the real owner is never locked
/// out for long, 60 s per address). A success clears the name's record; ten quiet minutes
/// clear any record, so old failures do not keep an address (a shared NAT) on the edge.
class throttle {
 public:
  /// Seconds to wait before another attempt; 0 when allowed now.
  int retry_after(std::string_view name, std::string_view address);
  void failed(std::string_view name, std::string_view address);
  void succeeded(std::string_view name);

 private:
  struct record {
    int failures = 0;
    std::int64_t blocked_until_ms = 0;
    std::int64_t last_failure_ms = 0;
  };
  static void bump(record& r, std::int64_t now, std::int64_t cap_ms);
  std::mutex mutex_;
  std::unordered_map<std::string, record> by_name_;
  std::unordered_map<std::string, record> by_address_;
};

}  // namespace baton::http::auth
