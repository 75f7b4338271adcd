#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

constexpr std::string_view greeter_v1 =
    R"({"inputs":{"who":"string","times":{"type":"long","default":2}},
        "outputs":["msg","count"],
        "steps":[{"id":"greet","kind":"script","set":{"msg":"hi ${who}"}},
                 {"id":"count","kind":"script","set":{"count":"${times}"}}]})";
constexpr std::string_view greeter_v2 =
    R"({"inputs":{"who":"string","times":{"type":"long","default":2}},
        "outputs":["msg","count"],
        "steps":[{"id":"greet","kind":"script","set":{"msg":"hello ${who}"}},
                 {"id":"count","kind":"script","set":{"count":"${times}"}}]})";

std::int64_t version_of(const json::object& def) {
  REQUIRE(def.contains("version"));
  return def.at("version").as_int64();
}

}  // namespace

TEST_CASE("deploy, redeploy and start a new definition", "[e2e]") {
  baton_server server;
  auto port = server.port();

  auto first = deploy(port, "Greeter", greeter_v1);
  INFO(first.body);
  REQUIRE(first.status == 201);
  auto v1 = object_of(first);
  CHECK(version_of(v1) == 1);
  CHECK(text(v1, "name") == "Greeter");
  auto def_id = text(v1, "id");
  CHECK(def_id.size() == 24);

  {  // start runs to SUCCEEDED with every output
    auto id = start(port, R"({"definition":"Greeter","values":{"who":"Ann"}})");
    auto p = wait_for_status(port, id, "SUCCEEDED");
    REQUIRE(text(p, "status") == "SUCCEEDED");
    CHECK(text(p, "definition") == "Greeter");
    CHECK(p.at("version").as_int64() == 1);
    const auto& outputs = p.at("outputs").as_object();
    CHECK(text(outputs, "msg") == "hi Ann");
    REQUIRE(outputs.contains("count"));
    // The default of the long input survives the template as a number or its text.
    CHECK(json::serialize(outputs.at("count")).find('2') != std::string::npos);
    const auto& steps = p.at("steps").as_array();
    REQUIRE(steps.size() == 2);
    for (const auto& s : steps) CHECK(text(s.as_object(), "status") == "COMPLETED");
  }

  {  // an unchanged redeploy keeps the version; a changed one makes version 2
    auto again = deploy(port, "Greeter", greeter_v1);
    INFO(again.body);
    CHECK(again.status == 200);
    CHECK(version_of(object_of(again)) == 1);
    CHECK(text(object_of(again), "id") == def_id);

    auto changed = deploy(port, "Greeter", greeter_v2);
    INFO(changed.body);
    REQUIRE(changed.status == 201);
    CHECK(version_of(object_of(changed)) == 2);
    CHECK(text(object_of(changed), "id") == def_id);

    // Latest, and each version by number.
    auto latest = http_call(port, "GET", "/api/v1/definitions/Greeter");
    REQUIRE(latest.status == 200);
    CHECK(version_of(object_of(latest)) == 2);
    CHECK(latest.body.find("hello ${who}") != std::string::npos);
    auto old = http_call(port, "GET", "/api/v1/definitions/Greeter?version=1");
    REQUIRE(old.status == 200);
    CHECK(version_of(object_of(old)) == 1);
    CHECK(old.body.find("hi ${who}") != std::string::npos);
    CHECK(http_call(port, "GET", "/api/v1/definitions/Greeter?version=7").status == 404);
    CHECK(http_call(port, "GET", "/api/v1/definitions/Greeter?version=x").status == 400);

    // New starts take the latest version; an explicit version runs the old model.
    auto id2 = start(port, R"({"definition":"Greeter","values":{"who":"Bo"}})");
    auto p2 = wait_for_status(port, id2, "SUCCEEDED");
    CHECK(p2.at("version").as_int64() == 2);
    CHECK(text(p2.at("outputs").as_object(), "msg") == "hello Bo");
    auto id1 = start(port, R"({"definition":"Greeter","version":1,"values":{"who":"Cy"}})");
    auto p1 = wait_for_status(port, id1, "SUCCEEDED");
    CHECK(p1.at("version").as_int64() == 1);
    CHECK(text(p1.at("outputs").as_object(), "msg") == "hi Cy");

    // Versions survive a restart.
    server.stop();
    server.start();
    port = server.port();
    auto after = http_call(port, "GET", "/api/v1/definitions/Greeter");
    REQUIRE(after.status == 200);
    CHECK(version_of(object_of(after)) == 2);
  }

  {  // the list holds the new definition beside the examples, at its latest version
    auto list = http_call(port, "GET", "/api/v1/definitions");
    INFO(list.body);
    REQUIRE(list.status == 200);
    auto all = parse(list.body);
    REQUIRE(all.is_array());
    std::map<std::string, std::int64_t> versions;
    for (const auto& d : all.as_array()) {
      versions[text(d.as_object(), "name")] = d.as_object().at("version").as_int64();
    }
    CHECK(versions.count("Greeter") == 1);
    CHECK(versions["Greeter"] == 2);
    CHECK(versions.count("OneStepNotepadRunner") == 1);
    CHECK(versions.count("LoanApproval") == 1);
    CHECK(versions.count("PublishListPrices") == 1);
  }
}

TEST_CASE("an invalid definition is refused with every problem by JSON pointer", "[e2e]") {
  baton_server server;
  auto port = server.port();

  auto r = deploy(port, "Notify", R"({"steps":[
      {"id":"compose","kind":"script","set":{"x":"1"}},
      {"id":"send","kind":"script","set":{"y":"2"},"next":"notfy"},
      {"id":"compose","kind":"timer","duration":"soon"}]})");
  INFO(r.body);
  REQUIRE(r.status == 400);
  CHECK(r.header("content-type") == "application/problem+json");
  auto p = object_of(r);
  CHECK(p.at("status").as_int64() == 400);
  auto detail = text(p, "detail");
  CHECK(detail.find(R"(/steps/1/next: unknown step "notfy")") != std::string::npos);
  CHECK(detail.find(R"(/steps/2/id: duplicate step id "compose")") != std::string::npos);
  CHECK(detail.find("/steps/2/duration") != std::string::npos);
  REQUIRE(p.contains("errors"));
  std::set<std::string> pointers;
  for (const auto& e : p.at("errors").as_array()) pointers.insert(text(e.as_object(), "pointer"));
  CHECK(pointers == std::set<std::string>{"/steps/1/next", "/steps/2/id", "/steps/2/duration"});
  CHECK(pointers.count(text(p, "field")) == 1);

  // Nothing was deployed.
  CHECK(http_call(port, "GET", "/api/v1/definitions/Notify").status == 404);
  CHECK(http_call(port, "POST", "/api/v1/processes", R"({"definition":"Notify"})").status == 404);

  {  // structural problems are located too
    auto bad = deploy(port, "Odd", R"({"steps":[{"id":"a","kind":"teleport"}],"colour":"red"})");
    INFO(bad.body);
    REQUIRE(bad.status == 400);
    auto q = object_of(bad);
    std::set<std::string> at;
    for (const auto& e : q.at("errors").as_array()) at.insert(text(e.as_object(), "pointer"));
    CHECK(at.count("/steps/0/kind") == 1);
    CHECK(at.count("/colour") == 1);
  }
  {  // a body that is not a definition object, or names another definition
    CHECK(deploy(port, "Odd", "[1,2]").status == 400);
    CHECK(deploy(port, "Odd", R"({"steps":[)").status == 400);
    auto other = deploy(port, "Odd", R"({"name":"Even","steps":[{"id":"a","kind":"script"}]})");
    CHECK(other.status == 400);
    CHECK(text(object_of(other), "field") == "/name");
  }
}

TEST_CASE("structural and semantic problems of a definition are reported together", "[e2e]") {
  // Validation "reports every problem": an unknown kind in one step must not hide an
  // unknown next target in another.
  baton_server server;
  auto r = deploy(server.port(), "Mixed",
                  R"({"steps":[{"id":"a","kind":"teleport"},
                               {"id":"b","kind":"script","next":"notfy"}]})");
  INFO(r.body);
  REQUIRE(r.status == 400);
  std::set<std::string> pointers;
  auto problem = object_of(r);
  for (const auto& e : problem.at("errors").as_array()) {
    pointers.insert(text(e.as_object(), "pointer"));
  }
  CHECK(pointers == std::set<std::string>{"/steps/0/kind", "/steps/1/next"});
}

TEST_CASE("deploying an http step whose host is not allowed answers with a warning", "[e2e]") {
  server_options opts;
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "pricing.internal";
  baton_server server(opts);
  auto port = server.port();
  auto r = deploy(port, "Calls",
                  R"({"steps":[)"
                  R"({"id":"ok","kind":"http","http":{"url":"http://pricing.internal/p/${sku}"}},)"
                  R"({"id":"bad","kind":"http","http":{"url":"https://evil.example.com/x"}},)"
                  R"({"id":"open","kind":"http","http":{"url":"${anywhere}"}}]})");
  INFO(r.body);
  REQUIRE(r.status == 201);  // deployed: the setting may change before it runs
  auto def = object_of(r);
  REQUIRE(def.contains("warnings"));
  const auto& warnings = def.at("warnings").as_array();
  REQUIRE(warnings.size() == 1);
  CHECK(text(warnings[0].as_object(), "pointer") == "/steps/1/http/url");
  CHECK(text(warnings[0].as_object(), "message").find("evil.example.com") != std::string::npos);
  // A definition whose hosts are all allowed has none.
  auto clean =
      deploy(port, "Clean",
             R"({"steps":[{"id":"ok","kind":"http","http":{"url":"http://pricing.internal/"}}]})");
  REQUIRE(clean.status == 201);
  CHECK_FALSE(object_of(clean).contains("warnings"));
}

TEST_CASE("an http step to a host that is not allowed fails at once, not after its retries",
          "[e2e]") {
  baton_server server;  // outgoing.allow_hosts is empty: no host is allowed
  auto port = server.port();
  REQUIRE(deploy(port, "Blocked",
                 R"({"steps":[{"id":"call","kind":"http","retry":{"count":3,"initialMs":60000},)"
                 R"("http":{"url":"http://127.0.0.1:9/x"}}]})")
                  .status /
              100 ==
          2);
  auto id = start(port, R"({"definition":"Blocked"})");
  auto p = wait_for_status(port, id, "FAILED");
  REQUIRE(text(p, "status") == "FAILED");
  CHECK(text(p, "error").find("host not allowed") != std::string::npos);
  CHECK(text(p, "error").find("not retried") != std::string::npos);
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].as_object().at("attempt").as_int64() == 1);
}
