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

/// The scheduler connector API, as its vendor documents it: `POST
/// /scheduler/connector-api/process/start` (also spelled `connector-API`) starts a process now
/// or saves a Quartz schedule; `GET .../process/status/{robustaSpid}` answers the status and
/// the outputs (`__out_<name>`) of the process, or of a schedule's latest run. HTTP Basic.
/// A thin translator onto the native engine: no engine logic here.
void add_scheduler_connector_routes(router& routes, actors::engine& engine,
                                    auth::authenticator& auth, const config::settings& settings);

}  // namespace baton::http::compat
