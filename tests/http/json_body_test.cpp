#include "http/json_body.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "model/value.hpp"

using namespace baton;

// Both found by the fuzzers of tests/fuzz (native_body, typed_params).

TEST_CASE("as_object and as_array of anything else are empty and can be ranged over",
          "[http][json]") {
  for (std::string text : {"1e-320", "\"x\"", "null", "[1]", "{\"a\":1}"}) {
    INFO(text);
    auto body = http::parse_json_body(text);
    REQUIRE(body.ok());
    std::size_t members = 0, elements = 0;
    for (auto member : http::as_object(body.root)) members += member.key.size() > 0;
    for (auto element : http::as_array(body.root)) elements += element.is_int64();
    CHECK(members == (text[0] == '{' ? 1u : 0u));
    CHECK(elements == (text[0] == '[' ? 1u : 0u));
  }
}

TEST_CASE("a large double writes JSON that reads back as the same double", "[http][json]") {
  for (double d : {18446744073709551615.0, 1.9e19, -3e20, 1e21, 1e300}) {
    INFO(d);
    auto text = model::to_json(model::value::of_number(d));
    auto body = http::parse_json_body(text);
    REQUIRE(body.ok());
    CHECK(http::to_value(body.root) == model::value::of_number(d));
  }
  CHECK(model::to_json(model::value::of_number(2.5)) == "2.5");
  CHECK(model::to_json(model::value::of_number(3.0)) == "3.0");
}
