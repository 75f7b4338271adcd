#pragma once

#include "config/settings.hpp"

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers the definition routes:
/// - `PUT /api/v1/definitions/{name}` (admin) deploys a new version when the body differs
///   from the latest one, with `warnings` for http steps `outgoing.allow_hosts` refuses;
/// - `GET /api/v1/definitions/{name}[?version=N]` and `GET /api/v1/definitions[?retired=true]`;
/// - `DELETE /api/v1/definitions/{name}` (admin) retires the name: no new process or schedule
///   may start it, processes already running keep their version, and deploying it again
///   brings it back. A name that schedules still start is refused (409) until they are gone.
/// Deploys and retirements are recorded in the audit log.
void add_definition_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                           const config::outgoing_settings& outgoing);

}  // namespace baton::http
