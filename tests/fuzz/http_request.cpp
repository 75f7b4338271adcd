// Fuzzes HTTP/1.1 request framing as a Baton connection reads it (http/session.hpp): a fresh
// Beast request_parser per request with the listener's header and body limits, fed from one
// buffer the way the session feeds it, pipelined requests one after another until
// `Connection: close`, then the router's target parsing (http/router). The bytes are the
// client's stream; the first byte picks how the network splits it.
//
// Properties: a stream is framed into the same requests however it is split; a body never passes
// the body limit and matches its Content-Length; a request re-serialised by Beast frames to the
// same request; the router answers every target with a handler or a 4xx.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "http/problem.hpp"
#include "http/request_framing.hpp"
#include "http/router.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton;
using baton::fuzz::require;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

/// What a connection made of a stream: the requests it read, and why it stopped.
struct framing {
  std::vector<http::request> requests;
  std::vector<std::optional<std::uint64_t>> content_lengths;  ///< as the parser read them
  beast::error_code error;  ///< the parse error that ended the stream; none when it ran out
  bool closed = false;      ///< a request said `Connection: close`
};

/// Reads `stream` as the session does, receiving it `chunk` bytes at a time.
framing read_stream(std::string_view stream, std::size_t chunk,
                    const config::http_settings& limits) {
  framing out;
  beast::flat_buffer buffer;
  std::size_t sent = 0;
  auto receive = [&] {
    if (sent == stream.size()) return false;
    auto n = std::min(chunk, stream.size() - sent);
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), stream.data() + sent, n);
    buffer.commit(n);
    sent += n;
    return true;
  };
  while (!out.closed) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.body_limit(limits.body_limit);
    bool header_checked = false;
    while (!parser.is_done()) {
      beast::error_code ec;
      auto used = buffer.size() ? parser.put(buffer.data(), ec) : 0;
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) {
        out.error = ec;
        return out;
      }
      if (parser.is_header_done() && !header_checked) {
        header_checked = true;
        if (!http::has_reliable_length(parser)) {  // the session refuses it here
          out.error = bhttp::error::bad_transfer_encoding;
          return out;
        }
        parser.eager(true);  // the header alone first, then the body as Beast's read does
      }
      if (parser.is_done()) break;
      if ((used == 0 || ec == bhttp::error::need_more) && !receive()) return out;
    }
    out.closed = !parser.get().keep_alive();
    auto length = parser.content_length();  // a boost::optional
    out.content_lengths.push_back(length ? std::optional(*length) : std::nullopt);
    out.requests.push_back(parser.release());
  }
  return out;
}

bool same(const http::request& a, const http::request& b) {
  return a.method_string() == b.method_string() && a.target() == b.target() &&
         a.version() == b.version() && a.body() == b.body() && a.keep_alive() == b.keep_alive();
}

/// `r` as a client would send it again: its body framed by a fresh Content-Length. (Beast
/// writes a message by its first Transfer-Encoding field while its parser reads the last, so
/// the received framing fields cannot simply be written back.)
std::string serialise(http::request r) {
  r.erase(bhttp::field::transfer_encoding);
  r.erase(bhttp::field::content_length);
  r.prepare_payload();
  std::ostringstream out;
  out << r;
  return out.str();
}

/// The route shapes of the native and vendor APIs: literals, parameters and a catch-all.
const http::router& routes() {
  static const http::router* const r = [] {
    using verb = bhttp::verb;
    auto answer = [](http::request_context, http::responder respond) {
      respond(http::text_response(bhttp::status::ok, "ok"));
    };
    auto* made = new http::router;  // lives as long as the fuzzer
    for (const char* p : {"/api/v1/definitions", "/api/v1/definitions/{name}", "/api/v1/processes",
                          "/api/v1/processes/{id}", "/api/v1/processes/{id}/history",
                          "/api/v1/processes/{id}/steps/{stepId}/execute", "/api/v1/scopes/{scope}",
                          "/api/v1/schedules/{id}", "/v1/JobWorkflow/{jobId}",
                          "/{app}/0/ServiceModel/{*rest}", "/healthz"}) {
      made->add(verb::get, p, answer);
    }
    made->add(verb::post, "/api/v1/processes/complete-step", answer);
    made->add(verb::put, "/api/v1/definitions/{name}", answer);
    return made;
  }();
  return *r;
}

void check_route(const http::request& req, std::string_view input) {
  http::request_context ctx;
  ctx.req = req;
  http::response error;
  auto found = routes().resolve(ctx, error);
  if (found.target) {
    require(!found.route.empty(), "a resolved request names its route", input);
    for (const auto& [name, value] : ctx.path_params) {
      require(!value.empty() || found.route.find("{*") != std::string_view::npos,
              "a path parameter is never empty", input);
    }
    return;
  }
  auto code = error.result_int();
  require(code == 400 || code == 404 || code == 405, "an unroutable request gets a 4xx", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const config::http_settings limits;  // the listener's defaults
  const std::size_t chunk = 1 + data[0] % 64;

  auto whole = read_stream(stream, stream.size() + 1, limits);
  auto split = read_stream(stream, chunk, limits);
  // Beast may refuse a malformed start line before its end has arrived, so a stream that
  // runs out mid-header may be refused whole and merely unfinished when split.
  require(whole.requests.size() == split.requests.size() && whole.closed == split.closed &&
              (whole.error == split.error || !split.error),
          "framing does not depend on how the stream is split", stream);
  for (std::size_t i = 0; i < whole.requests.size(); ++i) {
    const auto& req = whole.requests[i];
    require(same(req, split.requests[i]), "a split stream frames the same requests", stream);
    require(req.body().size() <= limits.body_limit, "a body stays within the body limit", stream);
    if (auto length = whole.content_lengths[i]) {
      require(req.body().size() == *length, "a body matches its Content-Length", stream);
    }
    // A TRACE must not carry a body (RFC 9110 9.3.8), so Beast will not write one that does;
    // the server still frames and answers it, which the checks above and below hold.
    bool writable = !(req.method() == bhttp::verb::trace && !req.body().empty());
    if (writable) {
      auto again = read_stream(serialise(req), 4096, limits);
      require(again.requests.size() == 1 && same(again.requests[0], req),
              "a request Beast writes frames back to itself", stream);
    }
    check_route(req, stream);
  }
  return 0;
}
