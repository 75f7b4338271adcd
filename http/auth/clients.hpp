#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "http/auth/check_slots.hpp"
#include "model/clock.hpp"

namespace baton::storage {
class process_store;
}

namespace baton::http::auth {

/// What a client may do: `runner` starts, completes steps and reads; `operator` also
/// cancels, retries and pauses; `admin` also manages clients and definitions.
enum class role : std::uint8_t { runner, operator_, admin };
std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view s);
inline bool allows(role have, role need) { return have >= need; }

/// An authenticated principal: a customer with its own credentials and permissions.
struct client {
  std::string id;
  std::string name;
  auth::role role = auth::role::runner;
  std::vector<std::string> definitions = {"*"};  ///< name globs (`*`, `?`) it may touch
  bool enabled = true;
  std::string password_hash;  ///< Argon2id
  std::string api_key_hash;   ///< hex HMAC-SHA256 of the key under the server secret
  std::int64_t created_ms = 0;
  std::uint32_t generation = 0;  ///< bumped on rotate/disable: drops cached checks

  bool may_use(std::string_view definition) const;
};

/// Secrets shown once, when a client is created or rotated.
struct issued_secrets {
  std::string password;
  std::string api_key;
};

bool glob_match(std::string_view pattern, std::string_view text);

/// What a password check found. `name_known` lets the throttle count a wrong password
/// against the name and an unknown name against the address; it never reaches the caller.
struct password_check {
  enum class kind { ok, wrong, busy } result = kind::wrong;
  std::optional<client> who;  ///< when ok
  bool name_known = false;
};

/// Every client, in memory and in the `auth` column family. Thread-safe. Checks are cheap:
/// an API key costs one HMAC; a password costs one Argon2 hash, then a cache entry keyed by
/// an HMAC of name and password (so the cache reveals nothing) answers for a minute, until
/// the client is rotated or disabled.
class client_directory {
 public:
  using result = std::variant<std::pair<client, issued_secrets>, std::string>;
  using done_fn = std::function<void(result)>;

  /// Loads the clients and the server secret (created on first start).
  /// @param checks_at_once how many Argon2 verifications may run at the same time.
  /// @param clock stamps creations and times the password cache.
  explicit client_directory(storage::process_store& store, std::size_t checks_at_once = 1,
                            model::clock_ms clock = model::system_clock_ms);

  const std::string& secret() const { return secret_; }

  std::optional<client> find(std::string_view name_or_id) const;
  std::optional<client> by_api_key(std::string_view key) const;
  std::vector<client> list() const;
  bool empty() const;

  /// ok with the client when `password` is its password and it is enabled. An unknown name
  /// runs Argon2 against a decoy hash, so it costs what a wrong password costs. A check not
  /// answered from the cache needs one of `checks_at_once` slots; busy when none is free
  /// (the caller answers 503 with Retry-After: a queue that refuses, never one that piles up).
  password_check check_password(std::string_view name, std::string_view password);

  /// The slots Argon2 checks take (for /metrics, and for tests that fill them).
  check_slots& password_slots() { return password_slots_; }

  /// Creates a client with a new password and API key; `done` runs once it is durable.
  /// The name is reserved at once (two creations cannot both win) and freed if the write fails.
  void create(std::string name, role r, std::vector<std::string> definitions, done_fn done);
  /// New password and API key; `done` runs once durable, and from then on (not before) the
  /// old ones fail. A failed write changes nothing.
  void rotate(std::string_view name_or_id, done_fn done);
  /// Takes effect, in memory too, once durable; a failed write changes nothing.
  void set_enabled(std::string_view name_or_id, bool enabled, done_fn done);

  /// First start with no clients: creates `admin` with a random API key, writes the key to
  /// `<data_dir>/initial-admin-key` (mode 0600) and returns it; nullopt otherwise.
  std::optional<std::string> bootstrap_admin(const std::string& data_dir);

 private:
  void persist(const client& c, std::function<void(std::string)> done);
  /// Makes the durable record `c` the one in memory (after a rotate or an enable/disable).
  void apply(const client& c);
  std::string key_hash(std::string_view api_key) const;

  storage::process_store& store_;
  model::clock_ms clock_;
  std::string secret_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, client, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> id_by_name_;
  std::unordered_map<std::string, std::string> id_by_key_hash_;

  struct cached_check {
    std::string client_id;
    std::uint32_t generation;
    std::int64_t expires_ms;
  };
  std::mutex cache_mutex_;
  std::unordered_map<std::string, cached_check> password_cache_;

  check_slots password_slots_;
};

}  // namespace baton::http::auth
