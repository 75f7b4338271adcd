#pragma once

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

/// The process engine service, authenticated by session cookie + BPMCSRF:
/// `GET|POST
/// [/{app}][/0]/ServiceModel/ProcessEngineService.svc/{Schema}/Execute?ResultParameterName=R&in=v`
/// (query parameters become inputs, converted to the declared types; with
/// ResultParameterName the call waits for the end and answers that output serialised as a
/// JSON string inside a DataContract `<string>` element), `.../ExecProcElByUId/{uid}` (run
/// one element of a running process; a completed one is not run again) and
/// `POST .../RunProcess` {schemaName, parameterValues, resultParameterNames}.
void add_process_engine_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

}  // namespace baton::http::compat
