#include "http/problem.hpp"

#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <string>

#include "model/ids.hpp"

namespace baton::http {

namespace {

constexpr std::string_view replacement = "\\ufffd";

/// The length of the well-formed UTF-8 sequence starting at `s[i]`, or 0 when it is not
/// one (overlong forms, surrogates and code points above U+10FFFF are rejected, as in
/// the Unicode "well-formed" table).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

response make(beast_http::status status, std::string body, std::string_view content_type,
              unsigned version) {
  response res{status, version};
  auto code = static_cast<unsigned>(status);
  if ((code >= 100 && code < 200) || code == 204 || code == 304) {
    // These statuses carry no body (RFC 9110 §6.4.1); Beast would throw on one.
    return res;
  }
  res.set(beast_http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

void json_escape_to(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) {
        out += replacement;
        ++i;
      } else {
        out.append(text.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  json_escape_to(out, text);
  return out;
}

response problem(beast_http::status status, std::string_view title, std::string_view detail,
                 std::string_view field, unsigned version) {
  return problem_with_members(status, title, detail, field, {}, version);
}

response bad_request(std::string_view detail, std::string_view field) {
  return problem(beast_http::status::bad_request, "Bad request", detail, field);
}

response problem_with_members(beast_http::status status, std::string_view title,
                              std::string_view detail, std::string_view field,
                              std::string_view members, unsigned version) {
  std::string body;
  body.reserve(64 + title.size() + detail.size() + field.size());
  // A type of its own where a client should act on the kind rather than read the title: a
  // full volume clears only when an operator frees space.
  body += status == beast_http::status::insufficient_storage
              ? R"({"type":"https://baton.dev/problems/insufficient-storage","title":")"
              : R"({"type":"about:blank","title":")";
  json_escape_to(body, title);
  body += R"(","status":)";
  body += std::to_string(static_cast<unsigned>(status));
  body += R"(,"detail":")";
  json_escape_to(body, detail);
  body += '"';
  if (!field.empty()) {
    body += R"(,"field":")";
    json_escape_to(body, field);
    body += '"';
  }
  if (!members.empty()) {
    body += ',';
    body += members;
  }
  body += '}';
  return make(status, std::move(body), "application/problem+json", version);
}

response json_response(beast_http::status status, std::string body, unsigned version) {
  return make(status, std::move(body), "application/json", version);
}

response text_response(beast_http::status status, std::string body, std::string_view content_type,
                       unsigned version) {
  return make(status, std::move(body), content_type, version);
}

std::optional<response> name_too_long(std::string_view value, std::string_view field,
                                      unsigned version) {
  if (value.size() <= model::max_name_bytes) return std::nullopt;
  return problem(
      beast_http::status::bad_request, "Bad Request",
      std::string{field} + " is longer than " + std::to_string(model::max_name_bytes) + " bytes",
      field, version);
}

}  // namespace baton::http
