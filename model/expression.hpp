#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/value.hpp"

namespace baton::model {

/// Where and why an expression or template did not parse.
struct expression_error {
  std::size_t position = 0;  ///< 0-based offset into the source text
  std::string message;
  std::string to_string() const;
};

/// The result of evaluating: a value, or an error such as comparing a string with a number.
struct evaluation {
  value result;
  std::string error;  ///< empty on success
};

/// A condition such as `${amount} > 1000 && (${approved} == true || !${manual})`.
/// Grammar, nothing more: `${name}` references, string ('..' or "..") / number / true /
/// false / null literals, `== != < <= > >=`, `&& || !`, parentheses.
class expression {
 public:
  static std::variant<expression, expression_error> parse(std::string_view text);
  evaluation evaluate(const values& scope) const;
  /// Evaluates and requires a boolean.
  evaluation test(const values& scope) const;
  const std::string& text() const { return text_; }

  struct node;

 private:
  std::string text_;
  std::shared_ptr<const std::vector<node>> nodes_;  // immutable, shared by copies
  std::uint32_t root_ = 0;
};

/// A string with `${name}` holes, e.g. "${username} ${surname}". A template that is exactly
/// one hole keeps the value's type ("${amount}" stays a long); otherwise it renders text.
class string_template {
 public:
  static std::variant<string_template, expression_error> parse(std::string_view text);
  value render(const values& scope) const;
  /// The names the template refers to, for validation.
  std::vector<std::string> names() const;
  bool is_constant() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].is_ref); }

 private:
  struct part {
    bool is_ref;
    std::string text;  // literal text, or the referenced name
  };
  std::vector<part> parts_;
};

/// Whether `name` is a valid value name (letters, digits, `_`, `.`, `-`; not a digit first).
bool is_valid_name(std::string_view name);

}  // namespace baton::model
