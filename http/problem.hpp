#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/request_context.hpp"

namespace baton::http {

/// An RFC 9457 problem+json answer:
/// `{"type":"about:blank","title":...,"status":...,"detail":...,"field":...}`; a 507 has the
/// type `https://baton.dev/problems/insufficient-storage`.
/// `field` names the offending request field (a JSON pointer or a parameter name) and is
/// omitted when empty. Sets `Content-Type: application/problem+json` and the payload size.
response problem(beast_http::status status, std::string_view title, std::string_view detail,
                 std::string_view field = {}, unsigned version = 11);

/// The native API's 400 "Bad request" naming `field`.
response bad_request(std::string_view detail, std::string_view field);

/// `problem(...)` with extension members (RFC 9457 §3.2) after the standard ones: `members`
/// is a JSON object's inside, `"name":value,...`, valid JSON the caller built.
response problem_with_members(beast_http::status status, std::string_view title,
                              std::string_view detail, std::string_view field,
                              std::string_view members, unsigned version = 11);

/// A 400 problem naming `field` when `value` is longer than `model::max_name_bytes`;
/// nullopt when it fits. For names and ids a client gives, in a path or a body.
std::optional<response> name_too_long(std::string_view value, std::string_view field,
                                      unsigned version = 11);

/// An `application/json` answer with `body` as is; the caller guarantees it is valid JSON.
response json_response(beast_http::status status, std::string body, unsigned version = 11);

/// A text answer, `text/plain; charset=utf-8` unless `content_type` says otherwise.
/// For 1xx, 204 and 304, which carry no body, all three helpers leave out body and type.
response text_response(beast_http::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8",
                       unsigned version = 11);

/// `text` escaped for use between the quotes of a JSON string (the quotes are not added).
/// Control characters become `\n`, `\t`, ... or `\u00XX`; bytes that are not valid UTF-8
/// become U+FFFD, so the result is always valid JSON whatever the input.
std::string json_escape(std::string_view text);

/// Appends the escaped form of `text` to `out`; the allocation-free form of `json_escape`.
void json_escape_to(std::string& out, std::string_view text);

}  // namespace baton::http
