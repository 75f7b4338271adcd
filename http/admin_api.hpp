#pragma once

#include <string>

#include "http/fwd.hpp"

namespace baton::http {

/// Registers the admin-only routes on `routes`:
/// `POST /api/v1/admin/backup` `{"to": "/abs/folder"}` takes a consistent copy of the store
/// (whose data folder is `data_dir`) into a folder on the server's machine while it serves,
/// and answers 201 `{"to", "sequence", "files", "bytes", "tookMs"}`. A `to` that is not an
/// absolute path, lies in the data folder, or is not a new or empty folder is a 400 naming
/// `/to`; a failure to write it a 503 with `Retry-After` (the reason goes to the log only).
/// The checkpoint is taken on `work`'s thread, never on an I/O thread; when `work` holds as
/// many jobs as it takes, the answer is a 503 with `Retry-After` at once.
void add_admin_routes(router& routes, actors::engine& engine, auth::authenticator& auth,
                      blocking_work& work, const std::string& data_dir);

}  // namespace baton::http
