#include "http/process_access.hpp"

#include <algorithm>

namespace baton::http {

bool may_touch_any(const auth::client& who) {
  return std::ranges::find(who.definitions, "*") != who.definitions.end();
}

bool may_touch(const auth::client& who, const model::process_state& p) {
  return may_touch_any(who) || who.may_use(p.definition);
}

response native_format(beast_http::status s, std::string message) {
  return problem(s, s == beast_http::status::not_found ? "Not found" : "Forbidden", message, "id");
}

}  // namespace baton::http
