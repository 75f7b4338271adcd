#pragma once

#include <memory>

#include "config/settings.hpp"

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
class metrics;
namespace auth {
class authenticator;
}

/// Registers the native API of DESIGN.md (definitions, processes, scopes, history, cancel,
/// execute, complete-step) and /healthz, /readyz, /metrics on `routes`.
/// `engine` and `stats` must outlive the router.
/// Every route but /healthz and /readyz authenticates through `auth` (API key, Basic, bearer
/// token, session) and checks the client's role and definition globs; /metrics needs any
/// authenticated client unless `http.metrics_public`. A process's callback URL must be
/// allowed by `outgoing.allow_hosts`.
void add_native_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                       std::shared_ptr<metrics> stats, const config::http_settings& http,
                       const config::outgoing_settings& outgoing);

}  // namespace baton::http
