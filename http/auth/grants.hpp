#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/clock.hpp"
#include "storage/auth_store.hpp"
#include "storage/status.hpp"

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
///
/// Every write is answered from the group commit's callback, on its thread: `written` is ok
/// once the write is durable, else why not (its text is for the log, never for the caller).
/// Memory follows the disk: a grant is usable only once stored, and a failed revocation
/// leaves the grant as it was, so that the caller's retry finds it again.
class grant_store {
 public:
  template <class T>
  using issued_fn = std::function<void(const storage::status& written, const T& issued)>;
  /// `revoked` is false when there was nothing to revoke (and then nothing is written).
  using revoked_fn = std::function<void(const storage::status& written, bool revoked)>;

  grant_store(storage::process_store& store, std::string secret,
              std::chrono::milliseconds token_ttl, std::chrono::milliseconds session_ttl,
              model::clock_ms clock = model::system_clock_ms);

  /// A new token for `client_id`; `done` gets it once durable (and only then does it work).
  void issue_token(const std::string& client_id, std::string_view id_url,
                   issued_fn<issued_token> done);
  /// The client id of a valid, unexpired, unrevoked token.
  std::optional<std::string> check_token(std::string_view token);
  /// Refused at once; `done` once the erasure is durable.
  void revoke_token(std::string_view token, revoked_fn done);
  /// HMAC-SHA256(secret, id + issued_at), base64: what the token answer's signature holds.
  std::string signature(std::string_view id_url, std::int64_t issued_ms) const;

  /// A new session for `client_id`; `done` gets it once durable (and only then does it work).
  void open_session(const std::string& client_id, issued_fn<issued_session> done);
  /// The client id when the session is live and `csrf` is the value bound to it; each use
  /// extends the session (sliding expiry).
  std::optional<std::string> check_session(std::string_view session_id, std::string_view csrf);
  /// Ends the session at once; `done` once the erasure is durable.
  void close_session(std::string_view session_id, revoked_fn done);
  std::string csrf_for(std::string_view session_id) const;
  /// Reads every live token and session again: in a cluster, after another node issued or
  /// ended some (they reach this node's store through the log).
  storage::status reload();

 private:
  using grant = storage::stored_grant;
  using grant_map = std::unordered_map<std::string, grant>;
  std::string hash(std::string_view kind, std::string_view value) const;
  grant_map& map_of(storage::grant_kind kind) {
    return kind == storage::grant_kind::token ? tokens_ : sessions_;
  }
  /// Stores `g` under `h` and puts it in memory once durable.
  void add(storage::grant_kind kind, const std::string& h, grant g,
           std::function<void(const storage::status&)> done);
  /// Takes `h` out of memory at once and erases it from the disk; puts it back if that fails.
  void remove(storage::grant_kind kind, const std::string& h, revoked_fn done);

  storage::auth_store store_;
  model::clock_ms clock_;
  std::string secret_;
  std::chrono::milliseconds token_ttl_, session_ttl_;
  std::mutex mutex_;
  grant_map tokens_;    // by hash
  grant_map sessions_;  // by hash
};

/// Growing delays after failed attempts, kept so that they fall on the guesser alone:
/// 3 free failures, then 1 s, 2 s, 4 s … capped.
///
/// - Per claimed name (30 s cap, so the real owner is never locked out for long): wrong
///   passwords for that name, known or not (an unknown name gets a record too, so a block
///   does not tell whether the name exists). Only password attempts for the name wait.
/// - Per source address (60 s cap): credentials that name no one — an unknown user name,
///   API key, token or session. It never refuses a valid credential: callers check the
///   credential first and consult the address only to answer a failure, so a NAT, a proxy
///   or one host shared with a guesser costs the other clients nothing.
///
/// A success clears the name's record; ten quiet minutes clear any record.
class throttle {
 public:
  explicit throttle(model::clock_ms clock = model::system_clock_ms) : clock_(std::move(clock)) {}

  /// Seconds before `name` may try a password again; 0 when allowed now.
  int name_retry_after(std::string_view name);
  /// Seconds `address` should wait before presenting unknown credentials again; 0 when none.
  int address_retry_after(std::string_view address);
  /// A wrong password for `name`.
  void name_failed(std::string_view name);
  /// A credential from `address` that matched no identity.
  void address_failed(std::string_view address);
  void succeeded(std::string_view name);

 private:
  model::clock_ms clock_;
  struct record {
    int failures = 0;
    std::int64_t blocked_until_ms = 0;
    std::int64_t last_failure_ms = 0;
  };
  static void bump(record& r, std::int64_t now, std::int64_t cap_ms);
  static int wait_seconds(const std::unordered_map<std::string, record>& records,
                          std::string_view key, std::int64_t now);
  std::mutex mutex_;
  std::unordered_map<std::string, record> by_name_;
  std::unordered_map<std::string, record> by_address_;
};

}  // namespace baton::http::auth
