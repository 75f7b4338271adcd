#pragma once

#include <memory>

#include "config/settings.hpp"

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
class metrics;

/// Registers the native API of DESIGN.md (definitions, processes, scopes, history, cancel,
/// execute, complete-step) and /healthz, /readyz, /metrics on `routes`.
/// `engine` and `stats` must outlive the router.
void add_native_routes(router& routes, actors::engine& engine, const config::settings& settings,
                       std::shared_ptr<metrics> stats);

/// Whether the request carries one of `keys` as `x-api-key` or `Authorization: Bearer`.
/// No configured keys means the native API is open (a warning is logged at start).
bool has_api_key(const struct request_context& ctx, const std::vector<std::string>& keys);

}  // namespace baton::http
