#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "http/auth/check_slots.hpp"
#include "model/client.hpp"
#include "model/clock.hpp"
#include "storage/auth_store.hpp"
#include "storage/status.hpp"

namespace baton::http::auth {

// The client record and its role live in model/ (storage encodes them); auth names them here.
using model::allows;
using model::client;
using model::glob_match;
using model::parse_role;
using model::role;

/// Secrets shown once, when a client is created or rotated.
struct issued_secrets {
  std::string password;
  std::string api_key;
};

/// What a password check found. `name_known` lets the throttle count a wrong password
/// against the name and an unknown name against the address; it never reaches the caller.
struct password_check {
  enum class kind { ok, wrong, busy } result = kind::wrong;
  std::optional<client> who;  ///< when ok
  bool name_known = false;
};

/// Why a change to a client was not made. `written` holds the storage failure when
/// `code` is `not_stored` (the log gets its text, the caller a 503 or 507).
struct client_error {
  enum class kind { invalid_name, exists, unknown, not_stored } code = kind::not_stored;
  std::string message;
  storage::status written;
};

/// Every client, in memory and in the store (`storage::auth_store`). Thread-safe. Checks are cheap:
/// an API key costs one HMAC; a password costs one Argon2 hash, then a cache entry keyed by
/// an HMAC of name and password (so the cache reveals nothing) answers for a minute, until
/// the client is rotated or disabled.
class client_directory {
 public:
  using result = std::variant<std::pair<client, issued_secrets>, client_error>;
  using done_fn = std::function<void(result)>;

  /// Loads the clients and the server secret (created on first start).
  /// @param checks_at_once how many Argon2 verifications may run at the same time.
  /// @param clock stamps creations and times the password cache.
  /// In a cluster, how the nodes agree on shared values: the auth secret, and which creation
  /// of a client name wins (two nodes creating "robot" at once: one 201, one 409).
  struct agreement {
    /// The value for `name`: `mine` when this node asks first, else what the first one
    /// proposed; nullopt when the cluster could not be asked.
    std::function<std::optional<std::string>(std::string_view name, const std::string& mine)> agree;
    /// Gives `name` up if its value is still `mine` (a claim whose creation failed).
    std::function<void(std::string_view name, const std::string& mine)> release;
  };

  /// @param agree in a cluster, how the nodes agree; empty on a single node.
  explicit client_directory(storage::process_store& store, std::size_t checks_at_once = 1,
                            model::clock_ms clock = model::system_clock_ms, agreement agree = {});

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
  /// Deletes a client for good: its key, password, tokens and sessions stop working, and
  /// its name may be given to a new client (in a cluster, the name's claim is given back).
  void remove(std::string_view name_or_id, done_fn done);

  /// Reads every client again: in a cluster, after another node changed some (the change
  /// reaches this node's store through the log). A password cached for a client whose
  /// generation changed is checked afresh.
  storage::status reload();

  /// First start with no clients: creates `admin` with a random API key, writes the key to
  /// `<data_dir>/initial-admin-key` (mode 0600) and returns it; nullopt otherwise.
  std::optional<std::string> bootstrap_admin(const std::string& data_dir);

 private:
  /// Makes the durable record `c` the one in memory (after a rotate or an enable/disable).
  void apply(const client& c);
  std::string key_hash(std::string_view api_key) const;

  storage::auth_store store_;
  model::clock_ms clock_;
  agreement agree_;
  std::string secret_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, client, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> id_by_name_;
  std::unordered_map<std::string, std::string> id_by_key_hash_;
  std::set<std::string> reserved_;  ///< ids of clients being created, not yet stored

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
