#include "http/ui_api.hpp"

#include "http/embedded_file.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace baton::http {

namespace {

std::string_view content_type(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

/// Scripts, styles, images and API calls from this origin only; no inline script, no
/// framing: a value shown on a page can never run as code.
constexpr std::string_view security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

response static_file(const embedded_file& f, unsigned version) {
  auto r = text_response(beast_http::status::ok, std::string(f.bytes),
                         std::string(content_type(f.name)), version);
  r.set("Content-Security-Policy", security_policy);
  r.set("X-Content-Type-Options", "nosniff");
  r.set("Referrer-Policy", "no-referrer");
  // Not content-hashed: revalidate, so an upgraded server's UI is picked up at once.
  r.set(beast_http::field::cache_control, "no-cache");
  return r;
}

const embedded_file* find_file(std::string_view name) {
  for (const auto& f : ui_files()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

void add_ui_routes(router& routes) {
  using beast_http::verb;
  routes.add(verb::get, "/ui", [](request_context ctx, responder respond) {
    const auto* page = find_file("index.html");
    respond(page ? static_file(*page, ctx.req.version())
                 : problem(beast_http::status::not_found, "Not found", "the UI is not built in"));
  });
  routes.add(verb::get, "/ui/{file}", [](request_context ctx, responder respond) {
    const auto* f = find_file(ctx.param("file"));
    if (!f) {
      return respond(problem(beast_http::status::not_found, "Not found",
                             "no UI file \"" + std::string(ctx.param("file")) + "\"", "file",
                             ctx.req.version()));
    }
    respond(static_file(*f, ctx.req.version()));
  });
}

}  // namespace baton::http
