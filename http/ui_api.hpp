#pragma once

namespace baton::http {

class router;

/// Registers the web UI: `GET /ui/` (its page) and `GET /ui/{file}` (its scripts and style),
/// static files compiled into the binary (http/ui/), served without credentials: the page
/// asks for a key or a login and calls the public API with it, as any client does. Each
/// answer carries a Content-Security-Policy that allows scripts, styles and calls from this
/// origin only (no inline script), and `nosniff`. An unknown file is 404.
void add_ui_routes(router& routes);

}  // namespace baton::http
