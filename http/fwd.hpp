#pragma once

// Forward declarations for the HTTP module, so that other headers can name its types
// without pulling Beast in.

namespace baton::actors {
class engine;
}  // namespace baton::actors

namespace baton::http {

struct request_context;
class router;
class server;
class metrics;
class blocking_work;

namespace auth {
class authenticator;
}  // namespace auth

}  // namespace baton::http
