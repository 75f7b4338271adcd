#pragma once

namespace baton::http {
class router;
}

namespace baton::http::auth {

class authenticator;

/// Client management (`/api/v1/clients`), the audit log (`/api/v1/audit`), the OAuth token
/// endpoint (`/services/oauth2/token`, `/services/oauth2/revoke`) and session login/logout
/// (`/ServiceModel/AuthService.svc/Login`, `/Logout`).
void add_auth_routes(router& routes, authenticator& auth);

}  // namespace baton::http::auth
