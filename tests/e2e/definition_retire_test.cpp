// Retiring a definition (DELETE /api/v1/definitions/{name}): no new process or schedule may
// start it, processes already running finish on their version, the retirement survives a
// restart, and deploying the name again brings it back.

#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

constexpr std::string_view approval = R"({
  "inputs": {"amount": "long"},
  "steps": [{"id": "review", "kind": "external", "params": {"approved": "bool"}}]})";

constexpr std::string_view start_approval = R"({"definition":"Approval","values":{"amount":3}})";

test_response retire(std::uint16_t port, const std::string& name) {
  return http_call(port, "DELETE", "/api/v1/definitions/" + name);
}

bool listed(std::uint16_t port, const std::string& query, const std::string& name) {
  auto r = http_call(port, "GET", "/api/v1/definitions" + query);
  REQUIRE(r.status == 200);
  auto all = parse(r.body);
  for (const auto& d : all.as_array()) {
    if (text(d.as_object(), "name") == name) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a retired definition starts nothing new, running processes finish on their version",
          "[e2e]") {
  baton_server server;
  auto port = server.port();
  REQUIRE(deploy(port, "Approval", approval).status == 201);
  auto running = start(port, start_approval);
  wait_until(port, running, [](const json::object& p) { return !last_step_id(p).empty(); });

  {  // a schedule still starting it: refused, naming the schedule
    auto s = http_call(port, "POST", "/api/v1/schedules",
                       R"({"definition":"Approval","values":{"amount":1},"cron":"0 0 3 * * ?",)"
                       R"("timeZone":"UTC"})");
    REQUIRE(s.status == 201);
    auto schedule_id = text(object_of(s), "id");
    auto refused = retire(port, "Approval");
    INFO(refused.body);
    CHECK(refused.status == 409);
    CHECK(refused.header("content-type") == "application/problem+json");
    CHECK(refused.body.find(schedule_id) != std::string::npos);
    REQUIRE(http_call(port, "DELETE", "/api/v1/schedules/" + schedule_id).status == 204);
  }

  auto retired = retire(port, "Approval");
  INFO(retired.body);
  REQUIRE(retired.status == 200);
  auto doc = object_of(retired);
  CHECK(doc.at("retired").as_bool());
  CHECK(is_iso_utc_ms(text(doc, "retiredAt")));
  CHECK(doc.at("version").as_int64() == 1);

  {  // retiring again answers the same retirement
    auto again = retire(port, "Approval");
    REQUIRE(again.status == 200);
    CHECK(text(object_of(again), "retiredAt") == text(doc, "retiredAt"));
  }

  auto refused_start = [&] {
    auto r = http_call(port, "POST", "/api/v1/processes", std::string(start_approval));
    INFO(r.body);
    CHECK(r.status == 409);
    CHECK(r.body.find("retired") != std::string::npos);
    CHECK(text(object_of(r), "field") == "definition");
  };
  refused_start();
  {  // no new schedule either
    auto r = http_call(port, "POST", "/api/v1/schedules",
                       R"({"definition":"Approval","values":{"amount":1},"cron":"0 0 3 * * ?",)"
                       R"("timeZone":"UTC"})");
    INFO(r.body);
    CHECK(r.status == 409);
  }
  // Still readable by name, listed only when asked for.
  auto got = http_call(port, "GET", "/api/v1/definitions/Approval");
  REQUIRE(got.status == 200);
  CHECK(object_of(got).at("retired").as_bool());
  CHECK_FALSE(listed(port, "", "Approval"));
  CHECK(listed(port, "?retired=true", "Approval"));
  CHECK(http_call(port, "GET", "/api/v1/definitions?retired=maybe").status == 400);

  // The process that was running finishes on its version.
  auto done = http_call(port, "POST", "/api/v1/processes/" + running + "/steps/review/complete",
                        R"({"approved": true})");
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(text(wait_for_status(port, running, "SUCCEEDED"), "status") == "SUCCEEDED");

  // The retirement is durable.
  REQUIRE(server.stop() == 0);
  server.start();
  port = server.port();
  refused_start();

  {  // deploying the same source again brings the name back, without a new version
    auto back = deploy(port, "Approval", approval);
    INFO(back.body);
    REQUIRE(back.status == 200);
    CHECK(object_of(back).at("version").as_int64() == 1);
    CHECK_FALSE(object_of(back).contains("retired"));
    CHECK(listed(port, "", "Approval"));
    auto again = start(port, start_approval);
    CHECK_FALSE(again.empty());
  }
  REQUIRE(server.stop() == 0);
  server.start();
  port = server.port();
  CHECK(listed(port, "", "Approval"));
  CHECK(server.stop() == 0);
}

TEST_CASE("retiring an unknown definition is 404 naming it", "[e2e]") {
  baton_server server;
  auto r = retire(server.port(), "Nope");
  INFO(r.body);
  CHECK(r.status == 404);
  CHECK(text(object_of(r), "field") == "name");
  CHECK(server.stop() == 0);
}
