#pragma once

#include "actors/callback_formats.hpp"
#include "config/settings.hpp"
#include "model/clock.hpp"

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

/// The workfloo API (`x-api-key`), a translator onto the native engine:
/// - `POST /api/v1/workfloo[?sandbox=true]` starts an execution of `idWorkflooDefinition`
///   (a definition's name or its 24-hex id) with the `form` values and the `document`;
///   answers `{id, idUnykoo}`. Errors `{typeError, errors, errorMessage}` as the vendor's.
/// - `GET /api/v1/workfloo/status/{id}`, `GET /api/v1/workfloo/{id}` (with its nodes).
/// - `GET /api/v1/workfloo?page&itemsPerPage&status&from&to[&sandbox]` →
///   `{currentPage, hasNextPage, items}`; `GET /api/v2/workfloo` → the items as a bare array
///   with a `Link` header (rel="next"/"prev"), or CSV with `format=csv`. Newest first.
/// - `callbackUrl` (+ `callbackXApiKey`): the status document is POSTed there when the
///   execution parks at a step or ends (see `actors::outbox`).
void add_workfloo_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                         const config::settings& settings);

/// The callback body of the "workfloo" format: the status document of that moment.
actors::callback_renderer workfloo_callback_renderer(model::clock_ms clock);

}  // namespace baton::http::compat
