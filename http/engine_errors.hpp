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

/// An engine error as RFC 9457 problem+json, naming the offending field.
response engine_problem(const actors::process_answer& answer);

}  // namespace baton::http
