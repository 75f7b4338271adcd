#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// A review a person completes with typed params, then a confirmation, then a script.
constexpr std::string_view review_definition = R"({
  "name": "Review",
  "inputs": {"amount": {"type": "long", "required": false}},
  "outputs": ["verdict"],
  "steps": [
    {"id": "review", "kind": "external",
     "params": {"approved": "bool", "limit": "double",
                "note": {"type": "string", "required": false}}},
    {"id": "confirm", "kind": "external"},
    {"id": "done", "kind": "script", "set": {"verdict": "${approved}/${limit}"}}
  ]})";

/// The same shape in another definition, to filter the inbox by definition.
constexpr std::string_view other_definition = R"({
  "name": "Other",
  "steps": [{"id": "sign", "kind": "external", "params": {"who": "string"}}]})";

server_options review_options(definitions_folder& defs) {
  defs.add("Review", review_definition);
  defs.add("Other", other_definition);
  server_options opts;
  opts.definitions = defs.path();
  return opts;
}

test_response complete(std::uint16_t port, const std::string& id, const std::string& step,
                       std::string body) {
  return http_call(port, "POST", "/api/v1/processes/" + id + "/steps/" + step + "/complete",
                   std::move(body), {{"Content-Type", "application/json"}});
}

json::array tasks(std::uint16_t port, const std::string& query = "") {
  auto r = http_call(port, "GET", "/api/v1/tasks" + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto body = object_of(r);
  return body.at("tasks").as_array();
}

}  // namespace

TEST_CASE("a step completes by its definition id with plain JSON params", "[e2e]") {
  definitions_folder defs;
  baton_server server(review_options(defs));
  auto port = server.port();
  auto id = start(port, R"({"definition":"Review","values":{"amount":5}})");

  auto r = complete(port, id, "review", R"({"approved": true, "limit": 12})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto p = object_of(r);
  CHECK(text(p, "id") == id);
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 2);
  CHECK(text(steps[0].as_object(), "status") == "COMPLETED");
  CHECK(text(steps[1].as_object(), "step") == "confirm");
  CHECK(p.at("values").as_object().at("approved").as_bool());
  // A long where a double is declared is taken as the double.
  CHECK(p.at("values").as_object().at("limit").to_number<double>() == Approx(12.0));
  // The history says who completed the step, and with what.
  auto events = history(port, id);
  auto completed = std::find_if(events.begin(), events.end(), [](const json::value& e) {
    return text(e.as_object(), "type") == "step_completed";
  });
  REQUIRE(completed != events.end());
  auto detail = text(completed->as_object(), "detail");
  CHECK(detail.starts_with("by "));
  CHECK(detail.find(R"("approved":true)") != std::string::npos);

  // By processStepId, with no body at all (the step takes no params).
  auto confirm = text(steps[1].as_object(), "processStepId");
  auto last = complete(port, id, confirm, "");
  INFO(last.body);
  REQUIRE(last.status == 200);
  auto done = object_of(last);
  CHECK(text(done, "status") == "SUCCEEDED");
  CHECK(text(done.at("outputs").as_object(), "verdict") == "true/12.0");  // a double renders as one
}

TEST_CASE("native complete names what is wrong and shows the expected params", "[e2e]") {
  definitions_folder defs;
  baton_server server(review_options(defs));
  auto port = server.port();
  auto id = start(port, R"({"definition":"Review"})");

  {  // a missing and a mistyped param, both named, with the contract beside them
    auto r = complete(port, id, "review", R"({"approved": "yes"})");
    INFO(r.body);
    REQUIRE(r.status == 412);
    CHECK(r.header("content-type").find("application/problem+json") == 0);
    auto e = object_of(r);
    std::set<std::string> fields;
    for (const auto& err : e.at("errors").as_array()) fields.insert(text(err.as_object(), "field"));
    CHECK(fields == std::set<std::string>{"/approved", "/limit"});
    const auto& expected = e.at("expected").as_object();
    CHECK(text(expected.at("approved").as_object(), "type") == "bool");
    CHECK(text(expected.at("limit").as_object(), "type") == "double");
    CHECK_FALSE(expected.at("note").as_object().at("required").as_bool());
  }
  {  // a body that is not an object
    auto r = complete(port, id, "review", "[1]");
    CHECK(r.status == 400);
    auto bad = complete(port, id, "review", "{\n  \"approved\": tru }");
    CHECK(bad.status == 400);
    // Malformed JSON says where.
    CHECK(text(object_of(bad), "detail").find("at line 2, column 15") != std::string::npos);
  }
  {  // a step the definition has, but the process is not at
    auto r = complete(port, id, "confirm", "{}");
    INFO(r.body);
    CHECK(r.status == 409);
    CHECK(r.body.find("review") != std::string::npos);  // says where the process is
  }
  {  // no such step, no such process
    CHECK(complete(port, id, "nope", "{}").status == 404);
    CHECK(complete(port, id + "x", "review", "{}").status == 404);
  }
  // Nothing above changed the process.
  auto p = get_process(port, id);
  CHECK(text(p, "status") == "RUNNING");
  CHECK(p.at("steps").as_array().size() == 1);
}

TEST_CASE("the inbox lists open external steps with their typed params", "[e2e]") {
  definitions_folder defs;
  baton_server server(review_options(defs));
  auto port = server.port();
  auto first = start(port, R"({"definition":"Review","values":{"amount":7}})");
  auto second = start(port, R"({"definition":"Other","scope":"desk"})");

  auto all = tasks(port);
  REQUIRE(all.size() == 2);
  const auto& t = all[0].as_object();  // oldest first
  CHECK(text(t, "processId") == first);
  CHECK(text(t, "processStepId") == first + "-1");
  CHECK(text(t, "step") == "review");
  CHECK(text(t, "definition") == "Review");
  CHECK(t.at("version").to_number<std::int64_t>() == 1);
  CHECK_FALSE(t.contains("scope"));
  CHECK(text(t.at("params").as_object().at("approved").as_object(), "type") == "bool");
  CHECK(t.at("values").as_object().at("amount").to_number<std::int64_t>() == 7);
  CHECK(t.at("waitingSince").to_number<std::int64_t>() > 0);
  CHECK(is_iso_utc_ms(text(t, "waitingSinceTime")));
  CHECK(text(all[1].as_object(), "scope") == "desk");

  CHECK(tasks(port, "?definition=Other").size() == 1);
  CHECK(tasks(port, "?scope=desk").size() == 1);
  CHECK(tasks(port, "?step=review").size() == 1);
  CHECK(tasks(port, "?step=confirm").empty());
  CHECK(tasks(port, "?limit=1").size() == 1);
  CHECK(http_call(port, "GET", "/api/v1/tasks?limit=0").status == 400);

  // A completed step leaves the inbox; the next external step of that process enters it.
  REQUIRE(complete(port, first, "review", R"({"approved":false,"limit":1.5})").status == 200);
  auto review = tasks(port, "?definition=Review");
  REQUIRE(review.size() == 1);
  CHECK(text(review[0].as_object(), "step") == "confirm");
  REQUIRE(complete(port, first, "confirm", "").status == 200);
  CHECK(tasks(port, "?definition=Review").empty());
}
