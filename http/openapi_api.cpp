#include "http/openapi_api.hpp"

#include "http/problem.hpp"
#include "http/router.hpp"

namespace baton::http {

void add_openapi_routes(router& routes) {
  using beast_http::status;
  using beast_http::verb;
  routes.add(verb::get, "/api/v1/openapi.json", [](request_context, responder respond) {
    respond(json_response(status::ok, std::string(openapi_document())));
  });
  routes.add(verb::get, "/api/docs", [](request_context, responder respond) {
    respond(text_response(status::ok, std::string(api_docs_page()), "text/html; charset=utf-8"));
  });
}

}  // namespace baton::http
