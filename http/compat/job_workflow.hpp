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
}  // namespace baton::http

namespace baton::http::compat {

/// The job workflow API: `POST /v1/JobWorkflow/Authorized` starts the definition named by
/// `parameters.WORKFLOW_AUTOMATION_ID` (the other parameters override its inputs) and
/// answers 202 {"jobId"}; `GET /v1/JobWorkflow/{jobId}` answers its status and outputs.
/// Auth: `Authorization: OAuth <base64 token JSON>` (or Bearer token), X-Forwarded-Host
/// checked against `auth.oauth_host`. Scopes: unscoped jobs share one serial queue; scoped
/// jobs queue per scope when `engine.parallel_scopes` is on, else a busy scope answers 409.
void add_job_workflow_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                             const config::settings& settings);

}  // namespace baton::http::compat
