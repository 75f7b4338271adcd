#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

namespace baton::cmd {

/// Which server the remote commands talk to, and as whom.
struct cli_target {
  std::string url;      ///< base URL, no trailing '/', e.g. "http://127.0.0.1:8080"
  std::string key;      ///< API key sent as `x-api-key`; empty sends none
  std::string ca_file;  ///< extra PEM trust anchors for https URLs; empty: the system's only
};

/// What the command line said; empty means "not given".
struct cli_target_flags {
  std::string url;
  std::string key;
  std::string profile;
  std::string ca_file;
};

/// The URL used when nothing names one: `make run`'s address.
inline constexpr const char* default_url = "http://127.0.0.1:8080";

/// The profiles file: `$XDG_CONFIG_HOME/baton/cli.toml`, else `$HOME/.config/baton/cli.toml`;
/// empty when neither variable is set.
std::string profiles_path(const std::map<std::string, std::string>& env);

/// Resolves the target: flags beat the environment (`BATON_URL`, `BATON_KEY`), which beats
/// the profile. The profile is the one `flags.profile` or `BATON_PROFILE` names, looked up
/// as `[profiles.NAME]` in the profiles file, else its `[default]` table; each table may set
/// `url`, `key` and `ca_file`.
/// @returns the target, or why it cannot be made (a named profile that does not exist, a
/// profiles file that does not parse, a URL that is not http:// or https://).
std::variant<cli_target, std::string> resolve_target(const cli_target_flags& flags,
                                                     const std::map<std::string, std::string>& env);

/// The `BATON_*` and `HOME`/`XDG_CONFIG_HOME` variables of this process.
std::map<std::string, std::string> cli_environment();

}  // namespace baton::cmd
