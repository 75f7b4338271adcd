#include "http/json_body.hpp"

#include <boost/json/stream_parser.hpp>

namespace baton::http {

namespace {

/// " at line L, column C" of the first byte that makes `body` invalid JSON, as Boost.JSON's
/// incremental parser finds it; empty when it finds none (simdjson refused it for another
/// reason, e.g. its depth). Only on the error path, so a second parse costs nothing that
/// matters.
std::string where_invalid(std::string_view body) {
  boost::json::stream_parser p;
  boost::system::error_code ec;
  auto used = p.write_some(body.data(), body.size(), ec);
  if (!ec) p.finish(ec), used = body.size();
  if (!ec) return {};
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < used && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return " at line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

json_body parse_json_body(std::string_view body) {
  thread_local dom::parser parser;
  json_body out;
  auto err = parser.parse(body.data(), body.size()).get(out.root);
  if (err != simdjson::SUCCESS) out.error = simdjson::error_message(err) + where_invalid(body);
  return out;
}

namespace {

/// `[{},[]]`, parsed once per thread and never again: a default-constructed dom::object or
/// dom::array has no document, and ranging over one dereferences null.
dom::array empty_containers() {
  thread_local dom::parser parser;
  thread_local dom::array both = parser.parse(std::string_view("[{},[]]")).get_array().value();
  return both;
}

}  // namespace

dom::object as_object(dom::element el) {
  dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS)
    return empty_containers().at(0).get_object().value();
  return obj;
}

dom::array as_array(dom::element el) {
  dom::array arr;
  if (el.get_array().get(arr) != simdjson::SUCCESS)
    return empty_containers().at(1).get_array().value();
  return arr;
}

std::optional<dom::element> member(dom::object obj, std::string_view key) {
  std::optional<dom::element> found;
  for (auto [k, v] : obj) {
    if (k == key) found = v;
  }
  return found;
}

model::value to_value(dom::element el) {
  using model::value;
  switch (el.type()) {
    case dom::element_type::STRING:
      return value::of_string(std::string(el.get_string().value()));
    case dom::element_type::INT64:
      return value::of_integer(el.get_int64().value());
    case dom::element_type::UINT64:
      return value::of_number(static_cast<double>(el.get_uint64().value()));
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

}  // namespace baton::http
