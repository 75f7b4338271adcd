#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::model {

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
  model::role role = model::role::runner;
  std::vector<std::string> definitions = {"*"};  ///< name globs (`*`, `?`) it may touch
  bool enabled = true;
  std::string password_hash;  ///< Argon2id
  std::string api_key_hash;   ///< hex HMAC-SHA256 of the key under the server secret
  std::int64_t created_ms = 0;
  std::uint32_t generation = 0;  ///< bumped on rotate/disable: drops cached checks

  bool may_use(std::string_view definition) const;
};

/// Whether `text` matches `pattern` as a whole, `*` matching any run and `?` one character.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace baton::model
