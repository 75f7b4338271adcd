#include "model/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace baton::model {

namespace {

std::string format_double(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(d)) + ".0";
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, res.ptr);
  // The shortest form of a large double may be all digits ("18446744073709551616"): JSON
  // readers take that for an integer, and simdjson refuses one past 2^64. Keep it a double.
  if (std::isfinite(d) && out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

template <class T>
std::optional<T> parse_exact(std::string_view s) {
  T out{};
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

}  // namespace

std::string to_display(const value& v) {
  switch (v.k) {
    case value::kind::null:
      return {};
    case value::kind::string:
    case value::kind::json:
      return v.text;
    case value::kind::integer:
      return std::to_string(v.integer);
    case value::kind::number:
      return format_double(v.number);
    case value::kind::boolean:
      return v.boolean ? "true" : "false";
  }
  return {};
}

namespace {

bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  // Most text needs no escape at all: copy runs of plain characters in one append rather
  // than char by char (this was 5 % of the instructions of a process start).
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!needs_escape(c)) continue;
    out.append(s.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        char buf[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xF], hex[c & 0xF]};
        out.append(buf, sizeof buf);
      }
    }
  }
  out.append(s.data() + plain_from, s.size() - plain_from);
}

std::string to_json(const value& v) {
  switch (v.k) {
    case value::kind::null:
      return "null";
    case value::kind::string: {
      std::string out = "\"";
      append_json_escaped(out, v.text);
      out += '"';
      return out;
    }
    case value::kind::json:
      return v.text;
    case value::kind::number:
      if (!std::isfinite(v.number)) return "null";
      return format_double(v.number);
    default:
      return to_display(v);
  }
}

std::string_view type_name(value_type t) {
  switch (t) {
    case value_type::string:
      return "string";
    case value_type::long_:
      return "long";
    case value_type::double_:
      return "double";
    case value_type::bool_:
      return "bool";
    case value_type::json:
      return "json";
  }
  return "?";
}

std::optional<value_type> parse_value_type(std::string_view name) {
  if (name == "string") return value_type::string;
  if (name == "long") return value_type::long_;
  if (name == "double") return value_type::double_;
  if (name == "bool") return value_type::bool_;
  if (name == "json") return value_type::json;
  return std::nullopt;
}

bool has_type(const value& v, value_type type) {
  switch (type) {
    case value_type::string:
      return v.k == value::kind::string;
    case value_type::long_:
      return v.k == value::kind::integer;
    case value_type::double_:
      return v.k == value::kind::number;
    case value_type::bool_:
      return v.k == value::kind::boolean;
    case value_type::json:
      return true;
  }
  return false;
}

std::optional<value> coerce(const value& v, value_type type) {
  if (has_type(v, type)) return v;
  switch (type) {
    case value_type::string:
      if (v.k == value::kind::json || v.is_null()) return std::nullopt;
      return value::of_string(to_display(v));
    case value_type::long_:
      if (v.k == value::kind::string) {
        if (auto i = parse_exact<std::int64_t>(v.text)) return value::of_integer(*i);
      }
      if (v.k == value::kind::number && v.number == std::floor(v.number) &&
          std::fabs(v.number) < 9.2e18) {
        return value::of_integer(static_cast<std::int64_t>(v.number));
      }
      return std::nullopt;
    case value_type::double_:
      if (v.k == value::kind::integer) return value::of_number(static_cast<double>(v.integer));
      if (v.k == value::kind::string) {
        // from_chars reads "nan" and "inf"; they are not numbers a caller means, and NaN
        // would compare equal to everything in conditions.
        if (auto d = parse_exact<double>(v.text); d && std::isfinite(*d)) {
          return value::of_number(*d);
        }
      }
      return std::nullopt;
    case value_type::bool_:
      if (v.k == value::kind::string) {
        if (v.text == "true" || v.text == "Y") return value::of_bool(true);
        if (v.text == "false" || v.text == "N") return value::of_bool(false);
      }
      return std::nullopt;
    case value_type::json:
      return v;
  }
  return std::nullopt;
}

}  // namespace baton::model
