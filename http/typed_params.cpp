#include "http/typed_params.hpp"

#include "http/problem.hpp"

namespace baton::http {

std::variant<model::value, std::string> typed_param(dom::element spec) {
  dom::object obj;
  if (spec.get_object().get(obj) != simdjson::SUCCESS) return std::string("expected an object");
  std::string type;
  if (auto t = member(obj, "type")) {
    if (!t->is_string()) return std::string("type must be STRING, LONG, DOUBLE or BOOLEAN");
    type = std::string(t->get_string().value());
  } else if (member(obj, "strValue"))
    type = "STRING";
  else if (member(obj, "longValue"))
    type = "LONG";
  else if (member(obj, "doubleValue"))
    type = "DOUBLE";
  else if (member(obj, "boolValue"))
    type = "BOOLEAN";
  auto field_for = type == "STRING"    ? "strValue"
                   : type == "LONG"    ? "longValue"
                   : type == "DOUBLE"  ? "doubleValue"
                   : type == "BOOLEAN" ? "boolValue"
                                       : "";
  if (!*field_for) return std::string("type must be STRING, LONG, DOUBLE or BOOLEAN");
  auto raw = member(obj, field_for);
  if (!raw || raw->is_null()) return std::string(field_for) + " is missing";
  auto v = to_value(*raw);
  auto want = type == "STRING"   ? model::value_type::string
              : type == "LONG"   ? model::value_type::long_
              : type == "DOUBLE" ? model::value_type::double_
                                 : model::value_type::bool_;
  // Numbers may arrive as JSON strings ("42"): accepted when they parse exactly.
  auto converted =
      type == "STRING" && v.k != model::value::kind::string ? std::nullopt : model::coerce(v, want);
  if (!converted) return std::string(field_for) + " is not a valid " + type;
  return *converted;
}

std::string typed_params_json(const model::values& params) {
  std::string out = "{";
  for (const auto& [k, v] : params) {
    if (out.size() > 1) out += ',';
    out += "\"" + json_escape(k) + "\":{";
    switch (v.k) {
      case model::value::kind::integer:
        out += "\"longValue\":" + model::to_json(v) + ",\"type\":\"LONG\"";
        break;
      case model::value::kind::number:
        out += "\"doubleValue\":" + model::to_json(v) + ",\"type\":\"DOUBLE\"";
        break;
      case model::value::kind::boolean:
        out += "\"boolValue\":" + model::to_json(v) + ",\"type\":\"BOOLEAN\"";
        break;
      default:
        out += "\"strValue\":" + model::to_json(model::value::of_string(model::to_display(v))) +
               ",\"type\":\"STRING\"";
    }
    out += '}';
  }
  return out + "}";
}

}  // namespace baton::http
