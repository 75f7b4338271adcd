#pragma once

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers `POST /api/v1/processes/{id}/retry`: a FAILED process runs again from the step
/// that failed, with optional new values (`{"values": {...}}`), as an operator's incident
/// retry; the history and the audit log say who retried. A process in a scope needs a free
/// slot there (409 `Scope busy` otherwise).
void add_retry_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

}  // namespace baton::http
