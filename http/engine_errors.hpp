#pragma once

#include <string_view>

#include "actors/engine.hpp"
#include "http/request_context.hpp"

namespace baton::http {

/// The one table from engine errors to HTTP: status and problem title.
struct error_mapping {
  beast_http::status status;
  std::string_view title;
};
error_mapping map_error(actors::engine_errc code);

/// The status of a passing failure (storage unavailable 503, storage full 507, shutting down
/// 503), else `otherwise`: vendor front ends keep their own statuses for the rest.
beast_http::status passing_or(actors::engine_errc code, beast_http::status otherwise);

/// An engine error as RFC 9457 problem+json, naming the offending field.
response engine_problem(const actors::process_answer& answer);

/// A read that failed in a handler: logged with `doing` (the detail stays in the log), and
/// answered as the engine answers a failed write: 507 when the volume is full, else 503.
struct storage_refusal {
  beast_http::status status;
  std::string message;  ///< what the client may know
};
storage_refusal refusal_of(const storage::status& failed, std::string_view doing);
/// The same as RFC 9457 problem+json (the native API's format).
response storage_problem(const storage::status& failed, std::string_view doing);

}  // namespace baton::http
