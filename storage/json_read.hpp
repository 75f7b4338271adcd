#pragma once

// Reading helpers over simdjson's DOM, shared by the JSON codecs of storage/ (definitions,
// schedules, and the readers of records written by earlier releases). Private to storage/.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "model/value.hpp"
#include "storage/format.hpp"

namespace baton::storage::json_read {

namespace dom = simdjson::dom;

inline dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

/// Parses a stored record (format_v1 + JSON) into `doc` with this thread's parser; false
/// for another format or broken JSON. `doc` lives until the thread's next parse.
inline bool parse_stored(std::string_view stored, dom::element& doc) {
  if (stored.empty() || stored[0] != format_v1) return false;
  auto json = stored.substr(1);
  return thread_parser().parse(json.data(), json.size()).get(doc) == simdjson::SUCCESS;
}

/// By value: ranging over `el.get_object().value()` would bind into a destroyed temporary.
inline dom::object as_object(dom::element el) {
  dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS) return {};
  return obj;
}

inline model::value to_value(dom::element el) {
  using model::value;
  switch (el.type()) {
    case dom::element_type::STRING:
      return value::of_string(std::string(el.get_string().value()));
    case dom::element_type::INT64:
      return value::of_integer(el.get_int64().value());
    case dom::element_type::UINT64: {
      auto u = el.get_uint64().value();
      if (u <= static_cast<std::uint64_t>(INT64_MAX))
        return value::of_integer(static_cast<std::int64_t>(u));
      return value::of_number(static_cast<double>(u));
    }
    case dom::element_type::DOUBLE:
      return value::of_number(el.get_double().value());
    case dom::element_type::BOOL:
      return value::of_bool(el.get_bool().value());
    case dom::element_type::NULL_VALUE:
      return {};
    default:
      return value::of_json(simdjson::minify(el));
  }
}

inline model::values to_values(dom::object obj) {
  model::values out;
  for (auto [k, v] : obj) out[std::string(k)] = to_value(v);  // later duplicates overwrite
  return out;
}

inline std::string text_of(dom::element el, std::string_view k, std::string fallback = {}) {
  std::string_view s;
  if (el[k].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return fallback;
}
inline std::int64_t int_of(dom::element el, std::string_view k, std::int64_t fallback = 0) {
  std::int64_t i;
  if (el[k].get_int64().get(i) == simdjson::SUCCESS) return i;
  return fallback;
}
inline bool bool_of(dom::element el, std::string_view k) {
  bool b = false;
  if (el[k].get_bool().get(b) != simdjson::SUCCESS) return false;
  return b;
}
inline model::values values_of(dom::element el, std::string_view k) {
  dom::object obj;
  if (el[k].get_object().get(obj) == simdjson::SUCCESS) return to_values(obj);
  return {};
}

}  // namespace baton::storage::json_read
