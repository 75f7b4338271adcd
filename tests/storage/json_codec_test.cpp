#include "storage/json_codec.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model/ids.hpp"

using namespace baton;
using model::value;

namespace {

using problems = std::vector<model::definition_problem>;

problems problems_of(std::string_view json) {
  auto parsed = storage::parse_definition(json);
  if (auto* p = std::get_if<problems>(&parsed)) return *p;
  return {};
}

model::definition parse_ok(std::string_view json) {
  auto parsed = storage::parse_definition(json);
  if (auto* p = std::get_if<problems>(&parsed)) {
    std::string all;
    for (const auto& problem : *p) all += problem.to_string() + "; ";
    FAIL("definition rejected: " << all);
  }
  return std::get<model::definition>(parsed);
}

/// Whether `found` has a problem at `pointer` whose message contains `words`.
bool has_problem(const problems& found, std::string_view pointer, std::string_view words = {}) {
  return std::any_of(found.begin(), found.end(), [&](const auto& p) {
    return p.pointer == pointer && p.message.find(words) != std::string::npos;
  });
}

std::string describe(const problems& found) {
  std::string out;
  for (const auto& p : found) out += p.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("parse_definition names every structural problem by JSON pointer", "[storage]") {
  auto found = problems_of(R"({
    "name": 5, "colour": "red",
    "inputs": {"a": "float", "b": {"type": "long", "bogus": 1}, "c": 7},
    "outputs": "x",
    "steps": [
      {"id": "s1", "kind": "teleport"},
      {"id": "s2", "kind": "http", "http": {"url": "http://x", "expect": "200"},
       "retry": {"backoff": "linear", "count": "3", "jitter": "lots"}},
      "nope",
      {"id": "s4", "kind": "switch", "cases": [{"when": "true", "next": "s1", "else": 1}, 3]},
      {"id": "s5", "wat": true}
    ],
    "scenarios": {"sc": {"steps": {"s2": {"outputs": {}, "explode": true}}}, "bad": {}}
  })");
  INFO(describe(found));
  CHECK(has_problem(found, "/name", "expected a string"));
  CHECK(has_problem(found, "/colour", "unknown field"));
  CHECK(has_problem(found, "/inputs/a", "unknown type \"float\""));
  CHECK(has_problem(found, "/inputs/b/bogus", "unknown field"));
  CHECK(has_problem(found, "/inputs/c"));
  CHECK(has_problem(found, "/outputs", "expected an array"));
  CHECK(has_problem(found, "/steps/0/kind", "unknown kind \"teleport\""));
  CHECK(has_problem(found, "/steps/1/http/expect", "expected an array"));
  CHECK(has_problem(found, "/steps/1/retry/backoff"));
  CHECK(has_problem(found, "/steps/1/retry/count", "expected an integer"));
  CHECK(has_problem(found, "/steps/1/retry/jitter", "expected a number"));
  CHECK(has_problem(found, "/steps/2", "expected an object"));
  CHECK(has_problem(found, "/steps/3/cases/0/else", "unknown field"));
  CHECK(has_problem(found, "/steps/3/cases/1"));
  CHECK(has_problem(found, "/steps/4/wat", "unknown field"));
  CHECK(has_problem(found, "/steps/4/kind", "required"));
  CHECK(has_problem(found, "/scenarios/sc/steps/s2/explode"));
  CHECK(has_problem(found, "/scenarios/bad/steps"));
  CHECK(found.size() == 18);
}

TEST_CASE("parse_definition reports malformed and non-object documents at the root", "[storage]") {
  auto malformed = problems_of(R"({"name": "x", "steps": [)");
  REQUIRE(malformed.size() == 1);
  CHECK(malformed[0].pointer.empty());
  CHECK(malformed[0].message.find("malformed JSON") != std::string::npos);

  auto array = problems_of("[1, 2]");
  REQUIRE(array.size() == 1);
  CHECK(array[0].pointer.empty());

  auto no_steps = problems_of(R"({"name": "x"})");
  CHECK(has_problem(no_steps, "/steps", "required"));
}

TEST_CASE("parse_definition runs semantic validation with pointers", "[storage]") {
  auto found = problems_of(R"({"name": "ok", "steps": [
      {"id": "a", "kind": "script", "next": "nowhere"},
      {"id": "a", "kind": "timer", "duration": "soon"},
      {"id": "c", "kind": "http", "http": {"url": "", "map": {"p": "price"}}}]})");
  INFO(describe(found));
  CHECK(has_problem(found, "/steps/0/next", "unknown step \"nowhere\""));
  CHECK(has_problem(found, "/steps/1/id", "duplicate step id"));
  CHECK(has_problem(found, "/steps/1/duration", "not a duration"));
  CHECK(has_problem(found, "/steps/2/http/url", "required"));
  CHECK(has_problem(found, "/steps/2/http/map/p", "not a JSON pointer"));
}

TEST_CASE("a parsed definition keeps its source and a stable id", "[storage]") {
  auto def = parse_ok(R"({"name": "Notepad", "description": "d",
      "inputs": {"username": "string", "n": {"type": "long", "required": true}},
      "outputs": ["x"],
      "steps": [{"id": "compose", "kind": "script", "set": {"x": "${username}"}}],
      "id": "ignored", "version": 99})");
  CHECK(def.name == "Notepad");
  CHECK(def.id == model::id_from_name("Notepad"));
  CHECK(def.version == 1);  // assigned by the server, not by the document
  CHECK(def.description == "d");
  REQUIRE(def.inputs.size() == 2);
  CHECK(def.inputs[1].required);
  CHECK(def.source.find('\n') == std::string::npos);  // minified
  CHECK(storage::value_at_pointer(def.source, "/steps/0/set/x")->text == "${username}");

  def.version = 4;
  auto stored = storage::encode_definition(def);
  auto back = storage::decode_definition(stored);
  REQUIRE(back);
  CHECK(back->version == 4);
  CHECK(back->source == def.source);
  CHECK(back->id == def.id);
  CHECK(back->steps.size() == 1);
  CHECK_FALSE(storage::decode_definition("garbage"));

  auto api = storage::definition_json(def);
  CHECK(storage::value_at_pointer(api, "/id")->text == def.id);
  CHECK(storage::value_at_pointer(api, "/version")->integer == 4);
  CHECK(storage::value_at_pointer(api, "/name")->text == "Notepad");
  CHECK(storage::value_at_pointer(api, "/steps/0/id")->text == "compose");
}

TEST_CASE("duplicate JSON keys: the last one wins", "[storage]") {
  SECTION("values") {
    auto parsed = storage::parse_values(R"({"a": 1, "b": true, "a": "three"})");
    REQUIRE(std::holds_alternative<model::values>(parsed));
    auto& vals = std::get<model::values>(parsed);
    CHECK(vals.size() == 2);
    CHECK(vals.at("a") == value::of_string("three"));
    CHECK(vals.at("b") == value::of_bool(true));
    CHECK(std::holds_alternative<std::string>(storage::parse_values("[1]")));
    CHECK(std::holds_alternative<std::string>(storage::parse_values("{\"a\":")));
  }
  SECTION("scalar fields") {
    auto def = parse_ok(R"({"name": "First", "name": "Second",
        "steps": [{"id": "x", "id": "y", "kind": "script", "kind": "timer", "duration": "1s"}]})");
    CHECK(def.name == "Second");
    REQUIRE(def.steps.size() == 1);
    CHECK(def.steps[0].id == "y");
    CHECK(def.steps[0].kind == model::step_kind::timer);
  }
  SECTION("maps") {
    auto def = parse_ok(R"({"name": "M", "steps": [
        {"id": "s", "kind": "script", "set": {"x": "1", "y": "2", "x": "3"}},
        {"id": "h", "kind": "http", "http": {"url": "http://a", "url": "http://b",
         "headers": {"H": "1", "H": "2"}, "map": {"p": "/a", "p": "/b"}}}]})");
    CHECK(def.steps[0].set ==
          std::vector<std::pair<std::string, std::string>>{{"x", "3"}, {"y", "2"}});
    CHECK(def.steps[1].http.url == "http://b");
    CHECK(def.steps[1].http.headers ==
          std::vector<std::pair<std::string, std::string>>{{"H", "2"}});
    CHECK(def.steps[1].http.map == std::vector<std::pair<std::string, std::string>>{{"p", "/b"}});
  }
}

// A repeated key replaces the earlier value as a whole (it must not append to it).
TEST_CASE("duplicate JSON keys: a repeated steps array replaces the earlier one", "[storage]") {
  auto def = parse_ok(R"({"name": "D",
      "steps": [{"id": "old", "kind": "script"}],
      "steps": [{"id": "new", "kind": "script"}]})");
  REQUIRE(def.steps.size() == 1);
  CHECK(def.steps[0].id == "new");
}

TEST_CASE("duplicate JSON keys: a repeated input name replaces the earlier declaration",
          "[storage]") {
  auto def = parse_ok(R"({"name": "I", "inputs": {"a": "string", "a": "long"},
      "steps": [{"id": "s", "kind": "script"}]})");
  REQUIRE(def.inputs.size() == 1);
  CHECK(def.inputs[0].type == model::value_type::long_);
}

TEST_CASE("value_at_pointer reads every kind and escapes", "[storage]") {
  const std::string doc = R"({"data": {"price": 42.5, "qty": 3, "name": "n\"q", "ok": true,
      "none": null, "list": [10, 20, {"deep": "x"}], "a/b": 1, "m~n": 2, "": "empty key",
      "big": 18446744073709551615, "neg": -7}})";
  using storage::value_at_pointer;
  CHECK(value_at_pointer(doc, "/data/price") == value::of_number(42.5));
  CHECK(value_at_pointer(doc, "/data/qty") == value::of_integer(3));
  CHECK(value_at_pointer(doc, "/data/neg") == value::of_integer(-7));
  CHECK(value_at_pointer(doc, "/data/name") == value::of_string("n\"q"));
  CHECK(value_at_pointer(doc, "/data/ok") == value::of_bool(true));
  auto none = value_at_pointer(doc, "/data/none");
  REQUIRE(none);
  CHECK(none->is_null());
  CHECK(value_at_pointer(doc, "/data/list/1") == value::of_integer(20));
  CHECK(value_at_pointer(doc, "/data/list/2/deep") == value::of_string("x"));
  CHECK(value_at_pointer(doc, "/data/list") == value::of_json(R"([10,20,{"deep":"x"}])"));
  CHECK(value_at_pointer(doc, "/data/a~1b") == value::of_integer(1));
  CHECK(value_at_pointer(doc, "/data/m~0n") == value::of_integer(2));
  CHECK(value_at_pointer(doc, "/data/") == value::of_string("empty key"));
  auto big = value_at_pointer(doc, "/data/big");
  REQUIRE(big);
  CHECK(big->k == value::kind::number);
  CHECK(big->number == Approx(1.8446744073709552e19));
  auto whole = value_at_pointer(doc, "");
  REQUIRE(whole);
  CHECK(whole->k == value::kind::json);
  CHECK_FALSE(value_at_pointer(doc, "/missing"));
  CHECK_FALSE(value_at_pointer(doc, "/data/list/5"));
  CHECK_FALSE(value_at_pointer(doc, "/data/list/x"));
  CHECK_FALSE(value_at_pointer(doc, "data"));
  CHECK_FALSE(value_at_pointer("{broken", "/a"));
  CHECK(value_at_pointer("7", "") == value::of_integer(7));
}

TEST_CASE("append_values writes a JSON object that parse_values reads back", "[storage]") {
  model::values vals;
  vals["s"] = value::of_string("a\tb");
  vals["i"] = value::of_integer(-1);
  vals["d"] = value::of_number(0.125);
  vals["b"] = value::of_bool(false);
  vals["n"] = value{};
  vals["j"] = value::of_json(R"({"k":[1]})");
  std::string out;
  storage::append_values(out, vals);
  auto back = storage::parse_values(out);
  REQUIRE(std::holds_alternative<model::values>(back));
  CHECK(std::get<model::values>(back) == vals);
  std::string empty;
  storage::append_values(empty, {});
  CHECK(empty == "{}");
}
