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

/// Reads one JSON text at a time from a list's text: just enough JSON to split a list into
/// its items (the list came from a request or an answer, parsed before).
class list_reader {
 public:
  explicit list_reader(std::string_view text) : text_(text) {}

  std::optional<std::vector<value>> items() {
    std::vector<value> out;
    skip_space();
    if (!eat('[')) return std::nullopt;
    skip_space();
    if (eat(']')) return finish(std::move(out));
    for (;;) {
      skip_space();
      auto item = read_value();
      if (!item) return std::nullopt;
      out.push_back(std::move(*item));
      skip_space();
      if (eat(']')) return finish(std::move(out));
      if (!eat(',')) return std::nullopt;
    }
  }

 private:
  std::optional<std::vector<value>> finish(std::vector<value> out) {
    skip_space();
    if (at_ != text_.size()) return std::nullopt;
    return out;
  }
  bool eat(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t'))
      ++at_;
  }
  bool word(std::string_view w) {
    if (text_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }

  std::optional<value> read_value() {
    if (at_ >= text_.size()) return std::nullopt;
    char c = text_[at_];
    if (c == '"') {
      auto s = read_string();
      if (!s) return std::nullopt;
      return value::of_string(std::move(*s));
    }
    if (c == '{' || c == '[') {
      auto from = at_;
      if (!skip_nested()) return std::nullopt;
      return value::of_json(std::string(text_.substr(from, at_ - from)));
    }
    if (word("true")) return value::of_bool(true);
    if (word("false")) return value::of_bool(false);
    if (word("null")) return value{};
    auto from = at_;
    while (at_ < text_.size() &&
           std::string_view("+-0123456789.eE").find(text_[at_]) != std::string_view::npos)
      ++at_;
    auto number = text_.substr(from, at_ - from);
    if (auto i = parse_exact<std::int64_t>(number)) return value::of_integer(*i);
    if (auto d = parse_exact<double>(number); d && std::isfinite(*d)) return value::of_number(*d);
    return std::nullopt;
  }

  /// Past an object or array, strings inside it included.
  bool skip_nested() {
    int depth = 0;
    while (at_ < text_.size()) {
      char c = text_[at_];
      if (c == '"') {
        if (!read_string()) return false;
        continue;
      }
      ++at_;
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return true;
    }
    return false;
  }

  std::optional<std::string> read_string() {
    ++at_;  // the opening quote
    std::string out;
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size()) return std::nullopt;
      char e = text_[at_++];
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto code = hex4();
          if (!code) return std::nullopt;
          std::uint32_t cp = *code;
          if (cp >= 0xD800 && cp < 0xDC00 && word("\\u")) {  // a surrogate pair
            auto low = hex4();
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
    return std::nullopt;
  }
  std::optional<std::uint32_t> hex4() {
    if (at_ + 4 > text_.size()) return std::nullopt;
    std::uint32_t v = 0;
    auto res = std::from_chars(text_.data() + at_, text_.data() + at_ + 4, v, 16);
    if (res.ec != std::errc{} || res.ptr != text_.data() + at_ + 4) return std::nullopt;
    at_ += 4;
    return v;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::vector<value>> list_items(const value& v) {
  if (v.k != value::kind::json) return std::nullopt;
  return list_reader(v.text).items();
}

value list_of(const std::vector<value>& items) {
  std::string text = "[";
  for (const auto& item : items) {
    if (text.size() > 1) text += ',';
    text += to_json(item);
  }
  text += ']';
  return value::of_json(std::move(text));
}

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
