#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace baton::http {

/// Whether a request's header, as `parser` read it, says where its body ends. RFC 9112 §6.3:
/// when a request has a Transfer-Encoding whose last coding is not `chunked`, the server must
/// answer 400 and close, or the bytes after the header become a request that a proxy in front
/// never saw (request smuggling). Beast reads such a request with an empty body and parses on.
/// The parser's own view of `chunked` counts (the last Transfer-Encoding field), not the
/// message's (the first).
/// @pre `parser.is_header_done()`.
inline bool has_reliable_length(
    const boost::beast::http::request_parser<boost::beast::http::string_body>& parser) {
  const auto& req = parser.get();
  return req.find(boost::beast::http::field::transfer_encoding) == req.end() || parser.chunked();
}

}  // namespace baton::http
