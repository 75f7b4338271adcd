#pragma once

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers the human side of external steps: `GET /api/v1/tasks` (the inbox of steps
/// waiting for someone, with the typed params each expects) and
/// `POST /api/v1/processes/{id}/steps/{stepId}/complete` (params as plain JSON; `{stepId}`
/// is the definition's step id or a processStepId). Permissions are those of complete-step:
/// a runner, and only processes of definitions the client may use.
void add_task_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

}  // namespace baton::http
