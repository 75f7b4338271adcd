#pragma once

#include <string>

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers the admin-only routes on `routes`:
/// `POST /api/v1/admin/backup` `{"to": "/abs/folder"}` takes a consistent copy of the store
/// (whose data folder is `data_dir`) into a folder on the server's machine while it serves,
/// and answers 201 `{"to", "sequence", "files", "bytes", "tookMs"}`. A `to` that is not an
/// absolute path, lies in the data folder, or is not a new or empty folder is a 400 naming
/// `/to`; a failure to write it a 503 with `Retry-After` (the reason goes to the log only).
void add_admin_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                      const std::string& data_dir);

}  // namespace baton::http
