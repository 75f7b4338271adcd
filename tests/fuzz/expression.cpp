// Fuzzes `${…}` expressions and string templates (model/expression): parsing never crashes or
// overflows the stack, an error points inside the text, and evaluation obeys the algebra the
// grammar promises. libFuzzer's -timeout and -malloc_limit_mb (tests/fuzz/run) bound the time
// and memory of each input: parse and evaluation are bounded by the node and depth limits.

#include "model/expression.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/property.hpp"

using namespace baton::model;
using baton::fuzz::require;

namespace {

/// Names the dictionary refers to, one of each kind of value.
const values& scope() {
  static const values s{{"amount", value::of_integer(5000)},
                        {"rate", value::of_number(0.25)},
                        {"name", value::of_string("Ada")},
                        {"empty", value::of_string("")},
                        {"approved", value::of_bool(true)},
                        {"manual", value::of_bool(false)},
                        {"nothing", value{}},
                        {"doc", value::of_json(R"({"a":[1,2]})")},
                        {"a.b-c_1", value::of_integer(-1)}};
  return s;
}

bool is_limit(const expression_error& e) {
  return e.message == "expression nested too deeply" || e.message == "expression too long";
}

void check_expression(std::string_view text) {
  auto parsed = expression::parse(text);
  if (auto* error = std::get_if<expression_error>(&parsed)) {
    require(error->position <= text.size(), "an expression error points inside the text", text);
    require(!error->message.empty(), "an expression error says what is wrong", text);
    return;
  }
  const auto& e = std::get<expression>(parsed);
  require(e.text() == text, "an expression keeps its text", text);
  auto first = e.evaluate(scope());
  auto again = e.evaluate(scope());
  require(first.result == again.result && first.error == again.error, "evaluation is deterministic",
          text);
  auto tested = e.test(scope());
  require(!tested.error.empty() || tested.result.k == value::kind::boolean,
          "test() answers a bool or an error", text);

  // Parentheses change nothing; `!` negates a bool. Wrapping adds a level and a node, so it
  // may only fail at the limits.
  auto wrapped = expression::parse("(" + std::string(text) + ")");
  if (auto* error = std::get_if<expression_error>(&wrapped)) {
    require(is_limit(*error), "a parenthesised expression parses", text);
  } else {
    auto w = std::get<expression>(wrapped).evaluate(scope());
    require(w.result == first.result && w.error.empty() == first.error.empty(),
            "(e) evaluates as e", text);
  }
  auto negated = expression::parse("!(" + std::string(text) + ")");
  if (auto* error = std::get_if<expression_error>(&negated)) {
    require(is_limit(*error), "a negated expression parses", text);
  } else if (tested.error.empty()) {
    auto n = std::get<expression>(negated).test(scope());
    require(n.error.empty() && n.result.boolean == !tested.result.boolean, "!(e) negates e", text);
  }
}

void check_template(std::string_view text) {
  auto parsed = string_template::parse(text);
  if (auto* error = std::get_if<expression_error>(&parsed)) {
    require(error->position <= text.size(), "a template error points inside the text", text);
    return;
  }
  const auto& t = std::get<string_template>(parsed);
  for (const auto& name : t.names()) {
    require(is_valid_name(name), "a template refers to valid names only", text);
  }
  auto rendered = t.render(scope());
  if (t.is_constant()) {
    require(rendered == t.render({}), "a constant template does not read its scope", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_expression(text);
  check_template(text);
  return 0;
}
