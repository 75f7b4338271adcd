#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Calls a service, sleeps a day, then waits for an approval.
std::string calling_definition(const std::string& url) {
  return R"({"name": "Calling", "outputs": ["price"],
    "steps": [
      {"id": "fetch", "kind": "http", "http": {"url": ")" +
         url + R"(", "map": {"price": "/price"}}},
      {"id": "sleep", "kind": "timer", "duration": "P1D"},
      {"id": "approve", "kind": "external", "params": {"ok": "bool"}}
    ],
    "scenarios": {"cheap": {"steps": {"fetch": {"outputs": {"price": 1}},
                                      "approve": {"complete": {"ok": true}}}}}})";
}

std::vector<std::string> listed(std::uint16_t port, std::string_view query) {
  auto page = object_of(http_call(port, "GET", "/api/v1/processes" + std::string(query)));
  std::vector<std::string> ids;
  for (const auto& item : page.at("items").as_array()) ids.push_back(text(item.as_object(), "id"));
  return ids;
}

}  // namespace

TEST_CASE("native sandbox: a scenario answers, nothing calls out, runs are listed apart",
          "[e2e][sandbox]") {
  stub_server service([](const stub_request&, std::size_t) {
    return stub_reply{200, R"({"price":9})"};
  });
  definitions_folder defs;
  defs.add("Calling", calling_definition(service.url("/price")));
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  baton_server server(opts);
  auto port = server.port();

  auto sandboxed = start(port, R"({"definition":"Calling","scenarioId":"cheap"})");
  auto p = wait_for_status(port, sandboxed, "SUCCEEDED");
  CHECK(p.at("sandbox").as_bool());
  CHECK(p.at("outputs").as_object().at("price").as_int64() == 1);

  auto unknown = http_call(port, "POST", "/api/v1/processes",
                           R"({"definition":"Calling","scenarioId":"dear"})");
  CHECK(unknown.status == 404);
  CHECK(text(object_of(unknown), "field") == "scenarioId");

  auto real = start(port, R"({"definition":"Calling"})");
  p = wait_until(port, real, [](const auto& o) { return o.at("steps").as_array().size() == 2; });
  CHECK(service.calls() == 1);  // only the real run called
  CHECK(listed(port, "") == std::vector<std::string>{real});
  CHECK(listed(port, "?sandbox=true") == std::vector<std::string>{sandboxed});
}

TEST_CASE("a server in sandbox mode runs every process as a sandbox", "[e2e][sandbox]") {
  stub_server service([](const stub_request&, std::size_t) {
    return stub_reply{200, R"({"price":9})"};
  });
  definitions_folder defs;
  defs.add("Calling", calling_definition(service.url("/price")));
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  opts.environment["BATON_ENGINE__MODE"] = "sandbox";
  baton_server server(opts);
  auto port = server.port();

  auto id = start(port, R"({"definition":"Calling"})");
  // No scenario: the call is not made and the day passes on virtual time; the form waits.
  auto p = wait_until(port, id, [](const auto& o) { return o.at("steps").as_array().size() == 3; });
  CHECK(p.at("sandbox").as_bool());
  CHECK(text(p, "status") == "RUNNING");
  CHECK(service.calls() == 0);
  CHECK(listed(port, "") == std::vector<std::string>{id});  // a sandbox server lists its own
  CHECK(listed(port, "?sandbox=true") == std::vector<std::string>{id});
  CHECK(listed(port, "?sandbox=false").empty());
  REQUIRE(complete_step(port, last_step_id(p), R"({"ok":{"boolValue":true,"type":"BOOLEAN"}})")
              .status == 200);
  wait_for_status(port, id, "SUCCEEDED");
}
