#include "model/value.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace baton::model;

namespace {

value str(std::string s) { return value::of_string(std::move(s)); }

}  // namespace

TEST_CASE("coerce converts strings to long only when the whole text is an integer",
          "[model][value][coerce]") {
  CHECK(coerce(str("42"), value_type::long_) == value::of_integer(42));
  CHECK(coerce(str("-7"), value_type::long_) == value::of_integer(-7));
  CHECK(coerce(str("0"), value_type::long_) == value::of_integer(0));
  CHECK(coerce(str("9223372036854775807"), value_type::long_) ==
        value::of_integer(std::numeric_limits<std::int64_t>::max()));

  CHECK_FALSE(coerce(str("42x"), value_type::long_));
  CHECK_FALSE(coerce(str("x42"), value_type::long_));
  CHECK_FALSE(coerce(str("4.5"), value_type::long_));
  CHECK_FALSE(coerce(str(""), value_type::long_));
  CHECK_FALSE(coerce(str(" 42"), value_type::long_));
  CHECK_FALSE(coerce(str("42 "), value_type::long_));
  CHECK_FALSE(coerce(str("+42"), value_type::long_));
  CHECK_FALSE(coerce(str("9223372036854775808"), value_type::long_));  // overflows
  CHECK_FALSE(coerce(value::of_bool(true), value_type::long_));
  CHECK_FALSE(coerce(value{}, value_type::long_));
  CHECK_FALSE(coerce(value::of_json("[1]"), value_type::long_));
}

TEST_CASE("coerce converts whole doubles to long and rejects fractions", "[model][value][coerce]") {
  CHECK(coerce(value::of_number(42.0), value_type::long_) == value::of_integer(42));
  CHECK(coerce(value::of_number(-3.0), value_type::long_) == value::of_integer(-3));
  CHECK_FALSE(coerce(value::of_number(4.5), value_type::long_));
  CHECK_FALSE(coerce(value::of_number(1e19), value_type::long_));
  CHECK_FALSE(coerce(value::of_number(std::numeric_limits<double>::infinity()), value_type::long_));
  CHECK_FALSE(coerce(value::of_number(std::nan("")), value_type::long_));
}

TEST_CASE("coerce converts to double", "[model][value][coerce]") {
  CHECK(coerce(str("4.5"), value_type::double_) == value::of_number(4.5));
  CHECK(coerce(str("42"), value_type::double_) == value::of_number(42.0));
  CHECK(coerce(str("-0.25"), value_type::double_) == value::of_number(-0.25));
  CHECK(coerce(str("1e3"), value_type::double_) == value::of_number(1000.0));
  CHECK(coerce(value::of_integer(7), value_type::double_) == value::of_number(7.0));
  CHECK(coerce(value::of_number(1.5), value_type::double_) == value::of_number(1.5));

  CHECK_FALSE(coerce(str("4.5x"), value_type::double_));
  CHECK_FALSE(coerce(str(""), value_type::double_));
  CHECK_FALSE(coerce(str("abc"), value_type::double_));
  CHECK_FALSE(coerce(value::of_bool(false), value_type::double_));
  // Not numbers a vendor means: NaN would compare equal to everything in conditions.
  CHECK_FALSE(coerce(str("nan"), value_type::double_));
  CHECK_FALSE(coerce(str("inf"), value_type::double_));
  CHECK_FALSE(coerce(str("-infinity"), value_type::double_));
}

TEST_CASE("coerce converts to bool from the exact flag words", "[model][value][coerce]") {
  CHECK(coerce(str("true"), value_type::bool_) == value::of_bool(true));
  CHECK(coerce(str("false"), value_type::bool_) == value::of_bool(false));
  CHECK(coerce(str("Y"), value_type::bool_) == value::of_bool(true));
  CHECK(coerce(str("N"), value_type::bool_) == value::of_bool(false));
  CHECK(coerce(value::of_bool(true), value_type::bool_) == value::of_bool(true));

  CHECK_FALSE(coerce(str("TRUE"), value_type::bool_));
  CHECK_FALSE(coerce(str("yes"), value_type::bool_));
  CHECK_FALSE(coerce(str("1"), value_type::bool_));
  CHECK_FALSE(coerce(str(""), value_type::bool_));
  CHECK_FALSE(coerce(value::of_integer(1), value_type::bool_));
}

TEST_CASE("coerce converts to string and json", "[model][value][coerce]") {
  CHECK(coerce(str("x"), value_type::string) == str("x"));
  CHECK(coerce(value::of_integer(42), value_type::string) == str("42"));
  CHECK(coerce(value::of_number(2.5), value_type::string) == str("2.5"));
  CHECK(coerce(value::of_bool(true), value_type::string) == str("true"));
  CHECK_FALSE(coerce(value{}, value_type::string));
  CHECK_FALSE(coerce(value::of_json("{\"a\":1}"), value_type::string));

  // json takes anything as it is.
  CHECK(coerce(value::of_json("[1,2]"), value_type::json) == value::of_json("[1,2]"));
  CHECK(coerce(value::of_integer(3), value_type::json) == value::of_integer(3));
  CHECK(coerce(str("s"), value_type::json) == str("s"));
}

TEST_CASE("has_type matches kinds to declared types", "[model][value]") {
  CHECK(has_type(str("1"), value_type::string));
  CHECK_FALSE(has_type(str("1"), value_type::long_));
  CHECK(has_type(value::of_integer(1), value_type::long_));
  CHECK_FALSE(has_type(value::of_integer(1), value_type::double_));
  CHECK(has_type(value::of_number(1), value_type::double_));
  CHECK(has_type(value::of_bool(false), value_type::bool_));
  CHECK(has_type(value{}, value_type::json));
}

TEST_CASE("type names round-trip", "[model][value]") {
  for (auto t : {value_type::string, value_type::long_, value_type::double_, value_type::bool_,
                 value_type::json}) {
    CHECK(parse_value_type(type_name(t)) == t);
  }
  CHECK(type_name(value_type::long_) == "long");
  CHECK_FALSE(parse_value_type("int"));
  CHECK_FALSE(parse_value_type("String"));
  CHECK_FALSE(parse_value_type(""));
}

TEST_CASE("to_json quotes and escapes strings", "[model][value][json]") {
  CHECK(to_json(str("plain")) == "\"plain\"");
  CHECK(to_json(str("")) == "\"\"");
  CHECK(to_json(str("say \"hi\"")) == R"("say \"hi\"")");
  CHECK(to_json(str("back\\slash")) == R"("back\\slash")");
  CHECK(to_json(str("a\nb\rc\td")) == R"("a\nb\rc\td")");
  CHECK(to_json(str("\b\f")) == R"("\b\f")");
  CHECK(to_json(str(std::string("\x01\x1f", 2))) == R"("\u0001\u001f")");
  CHECK(to_json(str(std::string("nul\0x", 5))) == R"("nul\u0000x")");
  CHECK(to_json(str("caf\xc3\xa9")) == "\"caf\xc3\xa9\"");  // UTF-8 passes through
  CHECK(to_json(str("</script>")) == "\"</script>\"");
}

TEST_CASE("to_json renders other kinds as JSON literals", "[model][value][json]") {
  CHECK(to_json(value{}) == "null");
  CHECK(to_json(value::of_integer(-42)) == "-42");
  CHECK(to_json(value::of_number(2.5)) == "2.5");
  CHECK(to_json(value::of_number(3.0)) == "3.0");
  CHECK(to_json(value::of_number(0.1)) == "0.1");
  CHECK(to_json(value::of_number(std::nan(""))) == "null");
  CHECK(to_json(value::of_number(std::numeric_limits<double>::infinity())) == "null");
  CHECK(to_json(value::of_bool(true)) == "true");
  CHECK(to_json(value::of_bool(false)) == "false");
  CHECK(to_json(value::of_json(R"({"a":[1,"x"]})")) == R"({"a":[1,"x"]})");
}

TEST_CASE("append_json_escaped appends without quotes", "[model][value][json]") {
  std::string out = "prefix:";
  append_json_escaped(out, "a\"b");
  CHECK(out == R"(prefix:a\"b)");
}

TEST_CASE("to_display renders values for templates", "[model][value][display]") {
  CHECK(to_display(value{}) == "");
  CHECK(to_display(str("he said \"x\"")) == "he said \"x\"");  // no escaping, no quotes
  CHECK(to_display(value::of_integer(42)) == "42");
  CHECK(to_display(value::of_integer(-1)) == "-1");
  CHECK(to_display(value::of_number(2.5)) == "2.5");
  CHECK(to_display(value::of_number(2.0)) == "2.0");
  CHECK(to_display(value::of_number(-0.125)) == "-0.125");
  CHECK(to_display(value::of_number(1e20)) == "1e+20");
  CHECK(to_display(value::of_bool(false)) == "false");
  CHECK(to_display(value::of_json("[1, 2]")) == "[1, 2]");
}

TEST_CASE("values compare by kind and content", "[model][value]") {
  CHECK(value::of_integer(1) == value::of_integer(1));
  CHECK_FALSE(value::of_integer(1) == value::of_number(1));
  CHECK_FALSE(str("1") == value::of_integer(1));
  CHECK(value{}.is_null());
  CHECK_FALSE(str("").is_null());
}
