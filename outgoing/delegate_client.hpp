#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace baton::outgoing {

/// An outgoing call made by an `http` step. Plain data so that actors need no HTTP library.
struct outgoing_request {
  std::string method = "POST";
  std::string url;  ///< absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};
  /// The largest answer body this call takes; a larger one fails with "response too large".
  /// 0: the client's own limit. Lets one client serve calls whose answers differ in size.
  std::size_t response_limit = 0;
};

struct outgoing_response {
  int status = 0;  ///< 0 when no HTTP answer arrived
  std::string body;
  std::string error;  ///< transport error, or "host not allowed"; empty when an answer came
  /// The call was never made, for a reason no retry changes: the URL, a header, or a host
  /// `outgoing.allow_hosts` does not allow (a configuration error).
  bool refused = false;
};

/// Performs outgoing calls without blocking the caller; `outgoing::client` implements it over
/// Beast. Plain data in and out, so that actors need no HTTP library.
class delegate_client {
 public:
  using callback = std::function<void(outgoing_response)>;
  virtual ~delegate_client() = default;
  /// Starts the call; `done` runs exactly once on some I/O thread, after the answer, an error
  /// or the timeout. Hosts outside the allow-list fail at once with an error.
  virtual void call(outgoing_request request, callback done) = 0;
};

}  // namespace baton::outgoing
