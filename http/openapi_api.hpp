#pragma once

#include <string_view>

namespace baton::http {

class router;

/// The OpenAPI 3.1 document, `http/openapi.json` as it was at build time (the repository
/// keeps the document as source; CMake turns it into bytes in the binary).
std::string_view openapi_document();

/// The reader page, `http/api_docs.html`: self-contained, it fetches the document from the
/// same server, so it works without internet.
std::string_view api_docs_page();

/// Registers `GET /api/v1/openapi.json` and `GET /api/docs`, both public: the contract
/// describes no secret, and clients and generators read it before they hold a key.
void add_openapi_routes(router& routes);

}  // namespace baton::http
