#include "model/client.hpp"

namespace baton::model {

std::string_view to_string(role r) {
  switch (r) {
    case role::runner:
      return "runner";
    case role::operator_:
      return "operator";
    case role::admin:
      return "admin";
  }
  return "runner";
}

std::optional<role> parse_role(std::string_view s) {
  if (s == "runner") return role::runner;
  if (s == "operator") return role::operator_;
  if (s == "admin") return role::admin;
  return std::nullopt;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool client::may_use(std::string_view definition) const {
  for (const auto& g : definitions) {
    if (glob_match(g, definition)) return true;
  }
  return false;
}

}  // namespace baton::model
