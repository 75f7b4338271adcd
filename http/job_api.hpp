#pragma once

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers `/api/v1/jobs...`: workers activate job steps (a long poll), then complete,
/// fail or extend them under their lease; operators list them. Permissions are those of
/// complete-step: a runner, and only jobs of definitions the client may use.
void add_job_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

}  // namespace baton::http
