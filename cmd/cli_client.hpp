#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "cmd/cli_target.hpp"

namespace baton::outgoing {
class client;
}  // namespace baton::outgoing

namespace baton::cmd {

/// Exit codes of the remote commands: scripts branch on them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 1;      ///< the command line was wrong
inline constexpr int exit_not_found = 2;  ///< 404: no such process, definition, schedule, …
inline constexpr int exit_refused = 3;    ///< any other 4xx, or a wait that ended otherwise
inline constexpr int exit_server = 4;     ///< 5xx, an answer that makes no sense, unreachable

/// One answer from the server, or why none came.
struct cli_reply {
  int status = 0;  ///< 0 when no HTTP answer arrived
  std::string body;
  std::string error;  ///< transport error when status is 0

  bool ok() const { return status >= 200 && status < 300; }
};

/// The exit code a reply stands for (see the constants above).
int exit_code_of(const cli_reply& r);

/// One line saying why `r` failed, for a person: the problem+json title, detail and field,
/// the vendor envelope's message and reasons, or the transport error.
std::string failure_message(const cli_reply& r);

/// Percent-encodes `s` for use as one path segment or query value.
std::string encode_component(std::string_view s);

/// "?a=1&b=x%20y" from the pairs whose value is not empty; "" when none is.
std::string query_string(std::initializer_list<std::pair<const char*, std::string>> pairs);

/// Blocking HTTP calls to one Baton server, with its API key, over `outgoing::client` (http
/// and https; https is verified against the system's trust store and the target's CA file).
class cli_client {
 public:
  explicit cli_client(cli_target target);
  ~cli_client();
  cli_client(const cli_client&) = delete;
  cli_client& operator=(const cli_client&) = delete;

  /// `method` `path` (starting with '/', query included) with `body` as JSON when not
  /// empty. Waits at most `timeout` for the answer.
  cli_reply call(std::string_view method, const std::string& path, std::string body = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

  /// Prints `failure_message(r)` to standard error. @returns `exit_code_of(r)`.
  int report(const cli_reply& r) const;

  const cli_target& target() const { return target_; }

 private:
  cli_target target_;
  std::unique_ptr<outgoing::client> http_;
};

}  // namespace baton::cmd
