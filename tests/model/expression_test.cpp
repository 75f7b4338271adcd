#include "model/expression.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace baton::model;

namespace {

expression parse_ok(std::string_view text) {
  auto parsed = expression::parse(text);
  if (auto* e = std::get_if<expression_error>(&parsed)) {
    FAIL("\"" << text << "\" did not parse: " << e->to_string());
  }
  return std::get<expression>(parsed);
}

expression_error parse_error(std::string_view text) {
  auto parsed = expression::parse(text);
  if (std::holds_alternative<expression>(parsed)) FAIL("\"" << text << "\" parsed");
  return std::get<expression_error>(parsed);
}

value eval(std::string_view text, const values& scope = {}) {
  auto e = parse_ok(text).evaluate(scope);
  INFO(text);
  REQUIRE(e.error == "");
  return e.result;
}

std::string eval_error(std::string_view text, const values& scope = {}) {
  return parse_ok(text).evaluate(scope).error;
}

bool is_true(std::string_view text, const values& scope = {}) {
  auto v = eval(text, scope);
  INFO(text);
  REQUIRE(v.k == value::kind::boolean);
  return v.boolean;
}

string_template template_ok(std::string_view text) {
  auto parsed = string_template::parse(text);
  if (auto* e = std::get_if<expression_error>(&parsed)) {
    FAIL("\"" << text << "\" did not parse: " << e->to_string());
  }
  return std::get<string_template>(parsed);
}

expression_error template_error(std::string_view text) {
  auto parsed = string_template::parse(text);
  if (std::holds_alternative<string_template>(parsed)) FAIL("\"" << text << "\" parsed");
  return std::get<expression_error>(parsed);
}

}  // namespace

TEST_CASE("literals evaluate to typed values", "[model][expression][literal]") {
  CHECK(eval("42") == value::of_integer(42));
  CHECK(eval("-7") == value::of_integer(-7));
  CHECK(eval("2.5") == value::of_number(2.5));
  CHECK(eval("-0.5") == value::of_number(-0.5));
  CHECK(eval("1e3") == value::of_number(1000));
  CHECK(eval("'single'") == value::of_string("single"));
  CHECK(eval("\"double\"") == value::of_string("double"));
  CHECK(eval("''") == value::of_string(""));
  CHECK(eval(R"('it\'s')") == value::of_string("it's"));
  CHECK(eval(R"("a\"b")") == value::of_string("a\"b"));
  CHECK(eval(R"('a\\b')") == value::of_string("a\\b"));
  CHECK(eval("'has \"other\" quotes'") == value::of_string("has \"other\" quotes"));
  CHECK(eval("true") == value::of_bool(true));
  CHECK(eval("false") == value::of_bool(false));
  CHECK(eval("null") == value{});
  CHECK(eval("  true  ") == value::of_bool(true));
}

TEST_CASE("references read the scope, missing names are null", "[model][expression][ref]") {
  values scope{{"amount", value::of_integer(1500)},
               {"user.name", value::of_string("ann")},
               {"flag_1", value::of_bool(true)},
               {"a-b", value::of_number(1.5)}};
  CHECK(eval("${amount}", scope) == value::of_integer(1500));
  CHECK(eval("${user.name}", scope) == value::of_string("ann"));
  CHECK(eval("${flag_1}", scope) == value::of_bool(true));
  CHECK(eval("${a-b}", scope) == value::of_number(1.5));
  CHECK(eval("${missing}", scope) == value{});
  CHECK(is_true("${missing} == null", scope));
  CHECK_FALSE(is_true("${missing} == 0", scope));
  CHECK(is_true("${missing} != ''", scope));
  CHECK_FALSE(is_true("${amount} == null", scope));
}

TEST_CASE("comparison operators on numbers", "[model][expression][compare]") {
  values scope{{"n", value::of_integer(5)}, {"d", value::of_number(5.0)}};
  CHECK(is_true("${n} == 5", scope));
  CHECK_FALSE(is_true("${n} == 6", scope));
  CHECK(is_true("${n} != 6", scope));
  CHECK_FALSE(is_true("${n} != 5", scope));
  CHECK(is_true("${n} < 6", scope));
  CHECK_FALSE(is_true("${n} < 5", scope));
  CHECK(is_true("${n} <= 5", scope));
  CHECK_FALSE(is_true("${n} <= 4", scope));
  CHECK(is_true("${n} > 4", scope));
  CHECK_FALSE(is_true("${n} > 5", scope));
  CHECK(is_true("${n} >= 5", scope));
  CHECK_FALSE(is_true("${n} >= 6", scope));
  // Integers and doubles compare by value.
  CHECK(is_true("${n} == ${d}", scope));
  CHECK(is_true("${n} < 5.5", scope));
  CHECK(is_true("4.9 < ${n}", scope));
  CHECK(is_true("-1 < 0", scope));
  // Large integers compare exactly, not through double.
  CHECK(is_true("9007199254740993 > 9007199254740992"));
  CHECK(is_true("9007199254740993 != 9007199254740992"));
}

TEST_CASE("comparison operators on strings and bools", "[model][expression][compare]") {
  values scope{{"s", value::of_string("bob")}, {"b", value::of_bool(true)}};
  CHECK(is_true("${s} == 'bob'", scope));
  CHECK(is_true("${s} == \"bob\"", scope));
  CHECK_FALSE(is_true("${s} == 'Bob'", scope));
  CHECK(is_true("${s} < 'carl'", scope));
  CHECK(is_true("${s} > 'anna'", scope));
  CHECK(is_true("'a' <= 'a'", scope));
  CHECK(is_true("'b' >= 'a'", scope));
  CHECK(is_true("${b} == true", scope));
  CHECK(is_true("${b} != false", scope));
  CHECK(is_true("false < true"));
  CHECK(is_true("null == null"));
  CHECK_FALSE(is_true("null != null"));
  CHECK(is_true("'x' != null"));
}

TEST_CASE("equality across kinds is false, ordering across kinds is an error",
          "[model][expression][types]") {
  values scope{{"s", value::of_string("42")}, {"n", value::of_integer(42)}};
  CHECK_FALSE(is_true("${s} == ${n}", scope));
  CHECK(is_true("${s} != ${n}", scope));
  CHECK_FALSE(is_true("true == 1"));
  CHECK(eval_error("${s} < ${n}", scope) == "cannot compare string with number");
  CHECK(eval_error("true > 0") == "cannot compare bool with number");
  CHECK(eval_error("null < 1") == "cannot compare null with number");
  CHECK(eval_error("${missing} >= 'a'") == "cannot compare null with string");
}

TEST_CASE("logical operators", "[model][expression][logic]") {
  CHECK(is_true("true && true"));
  CHECK_FALSE(is_true("true && false"));
  CHECK_FALSE(is_true("false && true"));
  CHECK(is_true("true || false"));
  CHECK(is_true("false || true"));
  CHECK_FALSE(is_true("false || false"));
  CHECK_FALSE(is_true("!true"));
  CHECK(is_true("!false"));
  CHECK(is_true("!!true"));
  CHECK(is_true("! ! true"));
  CHECK(is_true("true&&true||false"));
}

TEST_CASE("logical operators need bools", "[model][expression][types]") {
  CHECK(eval_error("!1") == "'!' needs a bool");
  CHECK(eval_error("!'x'") == "'!' needs a bool");
  CHECK(eval_error("!${missing}") == "'!' needs a bool");
  CHECK(eval_error("1 && true") == "'&&' and '||' need bools");
  CHECK(eval_error("true && 1") == "'&&' and '||' need bools");
  CHECK(eval_error("false || 'x'") == "'&&' and '||' need bools");
  CHECK(eval_error("null || true") == "'&&' and '||' need bools");
  // An error inside a nested operand surfaces.
  CHECK(eval_error("true && (1 < 'a')") == "cannot compare number with string");
  CHECK(eval_error("!(1 < 'a')") == "cannot compare number with string");
}

TEST_CASE("&& and || short-circuit", "[model][expression][logic]") {
  // The right side would be a type error if it were evaluated.
  CHECK_FALSE(is_true("false && (1 < 'a')"));
  CHECK(is_true("true || (1 < 'a')"));
  CHECK_FALSE(is_true("false && 42"));
  CHECK(is_true("true || 42"));
}

TEST_CASE("precedence: ! binds tighter than comparison, then &&, then ||",
          "[model][expression][precedence]") {
  values scope{
      {"a", value::of_bool(false)}, {"b", value::of_bool(false)}, {"n", value::of_integer(5)}};
  // (!false) < false is (true < false): false. !(false < false) would be true.
  CHECK_FALSE(is_true("!${a} < ${b}", scope));
  CHECK(is_true("!${a} > ${b}", scope));
  // ! applies to ${n} alone, which is not a bool.
  CHECK(eval_error("!${n} > 4", scope) == "'!' needs a bool");
  CHECK(is_true("!(${n} > 6)", scope));
  // Comparison before &&: (1 < 2) && (3 > 2).
  CHECK(is_true("1 < 2 && 3 > 2"));
  // && before ||: true || (false && false) is true; (true || false) && false is false.
  CHECK(is_true("true || false && false"));
  CHECK_FALSE(is_true("(true || false) && false"));
  // false && false || true is (false && false) || true.
  CHECK(is_true("false && false || true"));
  CHECK_FALSE(is_true("false && (false || true)"));
  // ! before &&: (!false) && true.
  CHECK(is_true("!false && true"));
  CHECK_FALSE(is_true("!(false || true) && true"));
  // Comparisons compose with || and ! on both sides.
  CHECK(is_true("${n} == 4 || ${n} == 5", scope));
  CHECK(is_true("!${a} && ${n} >= 5", scope));
}

TEST_CASE("parentheses group and nest", "[model][expression][parens]") {
  values scope{{"amount", value::of_integer(1500)},
               {"approved", value::of_bool(false)},
               {"manual", value::of_bool(false)}};
  CHECK(is_true("${amount} > 1000 && (${approved} == true || !${manual})", scope));
  scope["manual"] = value::of_bool(true);
  CHECK_FALSE(is_true("${amount} > 1000 && (${approved} == true || !${manual})", scope));
  CHECK(is_true("((((true))))"));
  CHECK(eval("(42)") == value::of_integer(42));
  CHECK(is_true("( 1 == 1 )"));
  CHECK(is_true("(1 < 2) == true"));
}

TEST_CASE("test() requires a bool", "[model][expression][types]") {
  auto e = parse_ok("${n}");
  auto ok = e.test({{"n", value::of_bool(true)}});
  CHECK(ok.error == "");
  CHECK(ok.result == value::of_bool(true));
  auto bad = e.test({{"n", value::of_integer(1)}});
  CHECK(bad.error == "condition \"${n}\" is not a bool");
  CHECK(e.text() == "${n}");
  // An evaluation error stays the evaluation error.
  CHECK(parse_ok("!1").test({}).error == "'!' needs a bool");
}

TEST_CASE("a default expression evaluates to an error", "[model][expression]") {
  expression e;
  CHECK(e.evaluate({}).error == "empty expression");
}

TEST_CASE("copies of an expression evaluate alike", "[model][expression]") {
  auto copy = parse_ok("${x} == 1");
  auto other = copy;
  CHECK(other.evaluate({{"x", value::of_integer(1)}}).result == value::of_bool(true));
  CHECK(copy.evaluate({{"x", value::of_integer(2)}}).result == value::of_bool(false));
}

TEST_CASE("parse errors report the exact position", "[model][expression][errors]") {
  struct error_case {
    std::string text;
    std::size_t position;
    std::string message;
  };
  const std::vector<error_case> cases = {
      {"${a} === 1", 7, "unexpected '='; expected ${name}, a literal or '('"},
      {"${a} + 1", 5, "unexpected '+'"},
      {"${a} = 1", 5, "unexpected '='"},
      {"${a} & ${b}", 5, "unexpected '&'"},
      {"'abc", 0, "unterminated string"},
      {"${a} == \"abc", 8, "unterminated string"},
      {"'a\\'", 0, "unterminated string"},
      {"${1bad}", 2, "invalid name \"1bad\""},
      {"${a} == ${}", 10, "invalid name \"\""},
      {"${a b}", 2, "invalid name \"a b\""},
      {"${a", 0, "unterminated ${"},
      {"1 == ${a", 5, "unterminated ${"},
      {"$a", 0, "expected '${'"},
      {"", 0, "unexpected end of expression"},
      {"   ", 3, "unexpected end of expression"},
      {"${a} ==", 7, "unexpected end of expression"},
      {"${a} &&", 7, "unexpected end of expression"},
      {"!", 1, "unexpected end of expression"},
      {"(${a} == 1", 10, "expected ')'"},
      {"(1))", 3, "unexpected ')'"},
      {"1 == 1 == 1", 7, "unexpected '='"},
      {"1 < 2 < 3", 6, "unexpected '<'"},
      {"truex", 0, "unexpected 't'; expected ${name}, a literal or '('"},
      {"True", 0, "unexpected 'T'; expected ${name}, a literal or '('"},
      {"1.2.3", 0, "invalid number \"1.2.3\""},
      {"-", 0, "invalid number \"-\""},
      {"1e", 0, "invalid number \"1e\""},
      {"99999999999999999999", 0, "invalid number \"99999999999999999999\""},
      {"${a} == 1 2", 10, "unexpected '2'"},
      {"${a} != ", 8, "unexpected end of expression"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto e = parse_error(c.text);
    CHECK(e.position == c.position);
    CHECK(e.message.rfind(c.message, 0) == 0);
  }
}

TEST_CASE("expression_error reads as message and position", "[model][expression][errors]") {
  auto e = parse_error("${a} === 1");
  CHECK(e.to_string() == "unexpected '='; expected ${name}, a literal or '(' at position 7");
}

TEST_CASE("deep nesting and long chains are parse errors, not crashes",
          "[model][expression][errors]") {
  CHECK_NOTHROW(parse_error(std::string(100'000, '(') + "true" + std::string(100'000, ')')));
  CHECK_NOTHROW(parse_error(std::string(100'000, '!') + "true"));
  std::string chain = "true";
  for (int i = 0; i < 100'000; ++i) chain += " && true";
  CHECK_NOTHROW(parse_error(chain));
  // Modest nesting stays fine.
  CHECK(is_true(std::string(50, '(') + "true" + std::string(50, ')')));
  CHECK(is_true(std::string(50, '!') + "true"));
  std::string shorter = "true";
  for (int i = 0; i < 200; ++i) shorter += " && true";
  CHECK(is_true(shorter));
}

TEST_CASE("is_valid_name", "[model][expression][names]") {
  CHECK(is_valid_name("a"));
  CHECK(is_valid_name("_x"));
  CHECK(is_valid_name("user.name"));
  CHECK(is_valid_name("a-b_9"));
  CHECK_FALSE(is_valid_name(""));
  CHECK_FALSE(is_valid_name("1bad"));
  CHECK_FALSE(is_valid_name(".a"));
  CHECK_FALSE(is_valid_name("-a"));
  CHECK_FALSE(is_valid_name("a b"));
  CHECK_FALSE(is_valid_name("a$"));
  CHECK_FALSE(is_valid_name("a}"));
}

TEST_CASE("a template that is one hole keeps the value's type", "[model][expression][template]") {
  values scope{{"amount", value::of_integer(42)},
               {"ok", value::of_bool(true)},
               {"obj", value::of_json("{\"a\":1}")}};
  CHECK(template_ok("${amount}").render(scope) == value::of_integer(42));
  CHECK(template_ok("${ok}").render(scope) == value::of_bool(true));
  CHECK(template_ok("${obj}").render(scope) == value::of_json("{\"a\":1}"));
  CHECK(template_ok("${missing}").render(scope) == value{});
  CHECK_FALSE(template_ok("${amount}").is_constant());
}

TEST_CASE("a mixed template renders text", "[model][expression][template]") {
  values scope{{"username", value::of_string("Ann")},
               {"surname", value::of_string("Lee")},
               {"n", value::of_integer(3)},
               {"d", value::of_number(2.5)},
               {"b", value::of_bool(false)}};
  CHECK(template_ok("${username} ${surname}").render(scope) == value::of_string("Ann Lee"));
  CHECK(template_ok("n=${n}").render(scope) == value::of_string("n=3"));
  CHECK(template_ok("${n}${n}").render(scope) == value::of_string("33"));
  CHECK(template_ok(" ${n}").render(scope) == value::of_string(" 3"));
  CHECK(template_ok("${d}/${b}").render(scope) == value::of_string("2.5/false"));
  CHECK(template_ok("[${missing}]").render(scope) == value::of_string("[]"));
  CHECK(template_ok("plain").render(scope) == value::of_string("plain"));
  CHECK(template_ok("").render(scope) == value::of_string(""));
  CHECK(template_ok("cost: $5 {x} $").render(scope) == value::of_string("cost: $5 {x} $"));
  CHECK(template_ok("$${n}").render(scope) == value::of_string("$3"));
}

TEST_CASE("template names and constants", "[model][expression][template]") {
  auto t = template_ok("${a} and ${b.c} and ${a}");
  CHECK(t.names() == std::vector<std::string>{"a", "b.c", "a"});
  CHECK(template_ok("no holes").names().empty());
  CHECK(template_ok("no holes").is_constant());
  CHECK(template_ok("").is_constant());
  CHECK_FALSE(template_ok("x ${a}").is_constant());
}

TEST_CASE("template parse errors report positions", "[model][expression][template]") {
  auto e = template_error("hello ${name");
  CHECK(e.position == 6);
  CHECK(e.message == "unterminated ${");
  e = template_error("x ${1bad} y");
  CHECK(e.position == 4);
  CHECK(e.message == "invalid name \"1bad\"");
  e = template_error("${}");
  CHECK(e.position == 2);
  CHECK(e.to_string() == "invalid name \"\" at position 2");
}

TEST_CASE("fuzz: parsing never throws, evaluating parsed expressions never throws",
          "[model][expression][fuzz]") {
  static const std::vector<std::string> tokens = {
      "${a}", "${b}", "${s}", "${missing}", "${",    "}",       "$",      "(",     ")",
      "!",    "!=",   "==",   "=",          "<",     "<=",      ">",      ">=",    "&&",
      "||",   "&",    "|",    "true",       "false", "null",    "tru",    "0",     "1",
      "-3",   "2.5",  "1e3",  "-",          ".",     "'x'",     "'",      "\"y\"", "\"",
      "\\",   " ",    "  ",   "\t",         "x",     "${1bad}", "${a b}", "\x01",  "\xff"};
  const values scope{
      {"a", value::of_integer(1)}, {"b", value::of_bool(true)}, {"s", value::of_string("str")}};
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<std::size_t> length(0, 12);
  std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  int parsed = 0, evaluated_ok = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string text;
    auto n = length(rng);
    for (std::size_t k = 0; k < n; ++k) {
      // Mostly grammar tokens, sometimes a random byte.
      if (byte(rng) < 16)
        text += static_cast<char>(byte(rng));
      else
        text += tokens[pick(rng)];
    }
    std::variant<expression, expression_error> result;
    try {
      result = expression::parse(text);
    } catch (...) {
      FAIL("parse threw on \"" << text << "\"");
    }
    if (auto* err = std::get_if<expression_error>(&result)) {
      INFO(text);
      REQUIRE(err->position <= text.size());
      REQUIRE_FALSE(err->message.empty());
      continue;
    }
    ++parsed;
    try {
      auto e = std::get<expression>(result).evaluate(scope);
      auto t = std::get<expression>(result).test(scope);
      if (e.error.empty()) ++evaluated_ok;
      INFO(text);
      REQUIRE((t.error.empty() == (t.result.k == value::kind::boolean)));
    } catch (...) {
      FAIL("evaluate threw on \"" << text << "\"");
    }
    try {
      (void)string_template::parse(text);
    } catch (...) {
      FAIL("template parse threw on \"" << text << "\"");
    }
  }
  // The generator must actually reach the evaluator, or the loop proves little.
  CHECK(parsed > 500);
  CHECK(evaluated_ok > 200);
}
