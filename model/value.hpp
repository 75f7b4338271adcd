#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::model {

/// The declared type of an input, output or step parameter.
enum class value_type : std::uint8_t { string, long_, double_, bool_, json };

/// A typed value held by a process. `json` keeps the raw JSON text of an object or array.
struct value {
  enum class kind : std::uint8_t { null, string, integer, number, boolean, json };
  kind k = kind::null;
  std::string text;  ///< string, or JSON text when k == json
  std::int64_t integer = 0;
  double number = 0;
  bool boolean = false;

  static value of_string(std::string s) { return {kind::string, std::move(s), 0, 0, false}; }
  static value of_integer(std::int64_t i) { return {kind::integer, {}, i, 0, false}; }
  static value of_number(double d) { return {kind::number, {}, 0, d, false}; }
  static value of_bool(bool b) { return {kind::boolean, {}, 0, 0, b}; }
  static value of_json(std::string text) { return {kind::json, std::move(text), 0, 0, false}; }

  bool is_null() const { return k == kind::null; }
  bool operator==(const value&) const = default;
};

using values = std::map<std::string, value, std::less<>>;

/// How a value reads inside a string template: strings bare, numbers shortest, null empty.
std::string to_display(const value& v);

/// The value as a JSON literal (strings quoted and escaped, json kept as is).
std::string to_json(const value& v);

/// The items of a list: `v` holds a JSON array (kind json), each item as a value (a string,
/// number, flag or null as such, an object or array as json). nullopt when `v` is no array
/// or its text is not well-formed JSON.
std::optional<std::vector<value>> list_items(const value& v);

/// A json value holding the array of `items`, in order.
value list_of(const std::vector<value>& items);

/// Escapes `s` for use inside a JSON string literal (without the quotes).
void append_json_escaped(std::string& out, std::string_view s);

std::string_view type_name(value_type t);
std::optional<value_type> parse_value_type(std::string_view name);

/// Converts `v` to `type` when it converts exactly ("42" → 42 for long, "true" → bool),
/// as vendor APIs send numbers and flags as strings. Returns nullopt when it does not.
std::optional<value> coerce(const value& v, value_type type);

/// Whether `v` already has the shape `type` asks for.
bool has_type(const value& v, value_type type);

}  // namespace baton::model
