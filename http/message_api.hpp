#pragma once

#include "http/fwd.hpp"

namespace baton::http {

/// Registers `POST /api/v1/messages`: a message completes every message step waiting for its
/// name and correlation, or (with `ttlMs`) waits buffered for one that starts later. A runner
/// may post; steps of definitions the client may not use are not completed.
void add_message_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

}  // namespace baton::http
