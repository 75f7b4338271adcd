#include "http/response_header.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>

namespace baton::http {

namespace {

bool server_owned(const response::value_type& f) {
  switch (f.name()) {
    case beast_http::field::server:
    case beast_http::field::content_length:
    case beast_http::field::transfer_encoding:
      return true;
    case beast_http::field::unknown:
      return boost::beast::iequals(f.name_string(), "X-Request-Id");
    default:
      return false;
  }
}

}  // namespace

void append_response_header(std::string& out, const response& res, std::string_view request_id,
                            std::optional<std::uint64_t> content_length) {
  auto version = res.version();
  auto code = res.result_int();
  char start[13] = {'H',
                    'T',
                    'T',
                    'P',
                    '/',
                    static_cast<char>('0' + version / 10),
                    '.',
                    static_cast<char>('0' + version % 10),
                    ' ',
                    static_cast<char>('0' + code / 100),
                    static_cast<char>('0' + (code / 10) % 10),
                    static_cast<char>('0' + code % 10),
                    ' '};
  out.append(start, sizeof start);
  auto reason = res.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& f : res) {
    if (server_owned(f)) continue;
    auto name = f.name_string();
    auto value = f.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "Server: baton\r\nX-Request-Id: ";
  out += request_id;
  out += "\r\n";
  if (content_length) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, *content_length).ptr;
    out += "Content-Length: ";
    out.append(digits, end);
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace baton::http
