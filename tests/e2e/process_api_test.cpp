#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

constexpr std::string_view long_timer =
    R"({"name":"LongTimer","outputs":["d"],
        "steps":[{"id":"nap","kind":"timer","duration":"1h"},
                 {"id":"after","kind":"script","set":{"d":"woke"}}]})";
constexpr std::string_view one_external =
    R"({"name":"OneExternal","steps":[{"id":"work","kind":"external"}]})";

server_options api_options(definitions_folder& defs) {
  defs.add("LongTimer", long_timer);
  defs.add("OneExternal", one_external);
  server_options opts;
  opts.definitions = defs.path();
  return opts;
}

}  // namespace

TEST_CASE("execute runs a waiting element now and is a no-op once it is done", "[e2e]") {
  definitions_folder defs;
  baton_server server(api_options(defs));
  auto port = server.port();

  auto id = start(port, R"({"definition":"LongTimer"})");
  CHECK(text(get_process(port, id), "status") == "RUNNING");
  auto target = "/api/v1/processes/" + id + "/steps/" + id + "-1/execute";
  auto r = http_call(port, "POST", target);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto p = object_of(r);
  CHECK(text(p, "status") == "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "d") == "woke");

  auto again = http_call(port, "POST", target);
  INFO(again.body);
  CHECK(again.status == 200);
  auto after = get_process(port, id);
  CHECK(text(after, "status") == "SUCCEEDED");
  CHECK(after.at("steps").as_array().size() == 2);  // nothing ran again

  CHECK(http_call(port, "POST", "/api/v1/processes/" + id + "/steps/" + id + "-9/execute").status ==
        404);
  CHECK(http_call(port, "POST", "/api/v1/processes/nope/steps/nope-1/execute").status == 404);
}

TEST_CASE("cancel ends a running process, its step no longer takes completion", "[e2e]") {
  definitions_folder defs;
  baton_server server(api_options(defs));
  auto port = server.port();

  auto id = start(port, R"({"definition":"OneExternal"})");
  auto r = http_call(port, "POST", "/api/v1/processes/" + id + "/cancel",
                     R"({"reason":"customer left"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto p = get_process(port, id);
  CHECK(text(p, "status") == "CANCELLED");
  CHECK(text(p, "error") == "customer left");
  CHECK(text(p.at("steps").as_array()[0].as_object(), "status") == "SKIPPED");

  auto late = complete_step(port, id + "-1", "");
  INFO(late.body);
  CHECK(late.status == 412);
  CHECK(http_call(port, "POST", "/api/v1/processes/" + id + "/cancel").status == 409);
  CHECK(http_call(port, "POST", "/api/v1/processes/nope/cancel").status == 404);

  // The history ends with the cancellation.
  auto events = history(port, id);
  REQUIRE(!events.empty());
  CHECK(text(events.back().as_object(), "type") == "process_cancelled");
  CHECK(http_call(port, "GET", "/api/v1/processes/nope/history").status == 404);
}

TEST_CASE("the process list pages with a cursor and filters", "[e2e]") {
  definitions_folder defs;
  baton_server server(api_options(defs));
  auto port = server.port();

  std::set<std::string> external, timers;
  for (int i = 0; i < 5; ++i) external.insert(start(port, R"({"definition":"OneExternal"})"));
  for (int i = 0; i < 2; ++i) timers.insert(start(port, R"({"definition":"LongTimer"})"));
  auto done = *external.begin();
  REQUIRE(complete_step(port, done + "-1", "").status == 200);

  // Walk every page of two.
  std::set<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto target = std::string("/api/v1/processes?definition=OneExternal&limit=2");
    if (!after.empty()) target += "&after=" + after;
    auto r = http_call(port, "GET", target);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto obj = object_of(r);
    const auto& items = obj.at("items").as_array();
    CHECK(items.size() <= 2);
    for (const auto& item : items) {
      CHECK(text(item.as_object(), "definition") == "OneExternal");
      CHECK(seen.insert(text(item.as_object(), "id")).second);  // no repeats
    }
    if (obj.at("next").is_null()) break;
    after = text(obj, "next");
  }
  CHECK(seen == external);

  auto running = http_call(port, "GET", "/api/v1/processes?status=RUNNING&limit=100");
  REQUIRE(running.status == 200);
  auto running_obj = object_of(running);
  std::set<std::string> running_ids;
  for (const auto& item : running_obj.at("items").as_array()) {
    running_ids.insert(text(item.as_object(), "id"));
  }
  CHECK(running_ids.size() == 6);
  CHECK(running_ids.count(done) == 0);

  auto succeeded = http_call(port, "GET", "/api/v1/processes?status=SUCCEEDED");
  auto succeeded_obj = object_of(succeeded);
  REQUIRE(succeeded_obj.at("items").as_array().size() == 1);
  CHECK(text(succeeded_obj.at("items").as_array()[0].as_object(), "id") == done);

  CHECK(http_call(port, "GET", "/api/v1/processes?status=SLEEPING").status == 400);
  CHECK(http_call(port, "GET", "/api/v1/processes?limit=0").status == 400);
}

TEST_CASE("complete-step answers a malformed body in the vendor envelope", "[e2e]") {
  definitions_folder defs;
  baton_server server(api_options(defs));
  auto port = server.port();
  for (std::string body : {"{bad", "[]", R"({"params":{}})", R"({"processStepId":""})"}) {
    auto r = http_call(port, "POST", "/api/v1/processes/complete-step", body);
    INFO(body << " -> " << r.body);
    CHECK(r.status == 400);
    auto e = object_of(r);
    CHECK(e.contains("message"));
    CHECK(is_iso_utc_ms(text(e, "timestamp")));
    CHECK(e.contains("data"));
    CHECK(e.contains("version"));
  }
}
