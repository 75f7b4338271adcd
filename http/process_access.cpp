#include "http/process_access.hpp"

#include <algorithm>

namespace baton::http {

bool may_touch_any(const auth::client& who) {
  return std::ranges::find(who.definitions, "*") != who.definitions.end();
}

bool may_touch(const auth::client& who, std::string_view definition) {
  return may_touch_any(who) || who.may_use(definition);
}

bool may_touch(const auth::client& who, const model::process_state& p) {
  return may_touch(who, p.definition);
}

const model::step_execution* named_execution(const model::process_state& p, std::string_view step) {
  if (const auto* exec = p.find_execution(step)) return exec;
  if (const auto* exec = p.active(); exec && exec->step == step) return exec;
  for (auto it = p.steps.rbegin(); it != p.steps.rend(); ++it) {
    if (it->step == step) return &*it;
  }
  return nullptr;
}

response forbidden_definition(std::string_view name) {
  return problem(beast_http::status::forbidden, "Forbidden",
                 "this client may not use definition \"" + std::string(name) + "\"", "definition");
}

response native_format(beast_http::status s, std::string message) {
  return problem(s, s == beast_http::status::not_found ? "Not found" : "Forbidden", message, "id");
}

}  // namespace baton::http
