#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "model/value.hpp"

namespace baton::http {

namespace dom = simdjson::dom;

/// A request body parsed with simdjson. One parser per thread; the document lives until the
/// next parse on the same thread, so read what you need before answering.
struct json_body {
  dom::element root;
  std::string error;  ///< non-empty when the body is not JSON
  bool ok() const { return error.empty(); }
};
json_body parse_json_body(std::string_view body);

/// `el` as an object (empty when it is not one). Returns by value: ranging over
/// `el.get_object().value()` would bind a reference into a destroyed temporary.
dom::object as_object(dom::element el);

/// `el` as an array (empty when it is not one), by value for the same reason.
dom::array as_array(dom::element el);

/// The value of `key` in `obj`; with duplicate keys the last one wins, as in JavaScript.
std::optional<dom::element> member(dom::object obj, std::string_view key);

/// A JSON element as a model value (objects and arrays keep their JSON text).
model::value to_value(dom::element el);

}  // namespace baton::http
