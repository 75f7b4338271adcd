#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/client.hpp"
#include "storage/status.hpp"

namespace baton::storage {

class process_store;

/// A token or a session as stored: whose it is and until when. Stored under a keyed hash of
/// the value handed out, so a leaked database leaks no usable grant.
struct stored_grant {
  std::string client_id;
  std::int64_t expires_ms = 0;
};

enum class grant_kind : std::uint8_t { token, session };

/// What auth keeps on disk: the server secret (in `meta`), clients with their credential
/// hashes, and tokens and sessions (in `auth`). The key layout and the record format live
/// here and nowhere else. Writes go through the group committer and are answered, from its
/// thread, with the status of the write once it is durable or failed. Thread-safe.
class auth_store {
 public:
  using written_fn = std::function<void(const status& written)>;

  /// @pre `store` outlives this object.
  explicit auth_store(process_store& store) : store_(store) {}

  /// The server secret (the HMAC key of API keys, tokens and sessions); none when no valid
  /// one is stored yet. A failed result when it could not be read: unreadable is not absent,
  /// and a new secret would void every key and token.
  [[nodiscard]] result<std::optional<std::string>> secret() const;
  /// Stores the server secret and waits until it is durable.
  [[nodiscard]] status put_secret(std::string_view secret);

  /// Every stored client (records that do not decode are skipped).
  [[nodiscard]] result<std::vector<model::client>> clients() const;
  /// Stores `c` (new or changed).
  void put_client(const model::client& c, written_fn done);
  /// Removes client `id`'s record (its grants no longer name a client, so they stop working).
  void erase_client(std::string_view id, written_fn done);

  /// The grants of `kind` that expire after `now_ms`, by hash.
  [[nodiscard]] result<std::map<std::string, stored_grant>> grants(grant_kind kind,
                                                                   std::int64_t now_ms) const;
  void put_grant(grant_kind kind, std::string_view hash, const stored_grant& g, written_fn done);
  void erase_grant(grant_kind kind, std::string_view hash, written_fn done);

 private:
  process_store& store_;
};

/// A client's record as stored (format byte + JSON), and back; none when it does not decode.
std::string encode_client(const model::client& c);
std::optional<model::client> decode_client(std::string_view stored);

}  // namespace baton::storage
