#pragma once

#include <string>
#include <variant>

#include "http/json_body.hpp"
#include "model/value.hpp"

namespace baton::http {

// The vendor's typed params of complete-step: `{"strValue"|"longValue"|"doubleValue"|
// "boolValue": …, "type": "STRING"|"LONG"|"DOUBLE"|"BOOLEAN"}` per name.

/// One typed param as a value, or why it is not one. Numbers may arrive as JSON strings
/// ("42"): accepted when they convert exactly.
std::variant<model::value, std::string> typed_param(dom::element spec);

/// Params as the vendor's answer shows them: a JSON object of typed params.
std::string typed_params_json(const model::values& params);

}  // namespace baton::http
