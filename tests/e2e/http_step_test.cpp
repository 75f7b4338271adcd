#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// An http step with 2 retries (3 attempts) and short exponential backoffs, then a script
/// that uses the mapped answer.
constexpr std::string_view fetch_definition = R"({
  "name": "FetchPrice",
  "inputs": {"url": "string", "sku": {"type": "string", "default": "SKU-9"}},
  "outputs": ["price", "published"],
  "steps": [
    {"id": "fetch", "kind": "http", "timeoutMs": 2000,
     "http": {"method": "POST", "url": "${url}", "headers": {"X-Sku": "${sku}"},
              "body": {"sku": "${sku}"}, "expect": [200], "map": {"price": "/price"}},
     "retry": {"count": 2, "backoff": "exponential", "initialMs": 50, "maxMs": 200}},
    {"id": "publish", "kind": "script", "set": {"published": "${sku} at ${price}"}}
  ]})";

server_options fetch_options(definitions_folder& defs) {
  defs.add("FetchPrice", fetch_definition);
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  return opts;
}

std::string start_fetch(std::uint16_t port, const std::string& url) {
  return start(port, R"({"definition":"FetchPrice","values":{"url":")" + url + "\"}}");
}

bool finished(const json::object& p) {
  auto s = text(p, "status");
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

/// Every call carried the step's Idempotency-Key, one distinct key per attempt, and the
/// rendered request with its JSON content type.
void check_calls(const std::vector<stub_request>& calls, const std::string& process_id) {
  std::set<std::string> keys;
  for (const auto& c : calls) {
    CHECK(c.method == "POST");
    CHECK(c.target == "/prices");
    CHECK(c.header("x-sku") == "SKU-9");
    CHECK(parse(c.body) == parse(R"({"sku":"SKU-9"})"));
    CHECK(c.header("content-type") == "application/json");
    auto key = c.header("idempotency-key");
    INFO("Idempotency-Key: " << key);
    CHECK(!key.empty());
    CHECK(key.find(process_id + "-1") == 0);  // derived from the processStepId
    keys.insert(key);
  }
  CHECK(keys.size() == calls.size());
}

}  // namespace

TEST_CASE("an http step that always fails is tried 3 times, then the process FAILS", "[e2e]") {
  stub_server stub([](const stub_request&, std::size_t) {
    return stub_reply{500, R"({"error":"pricing down"})"};
  });
  definitions_folder defs;
  baton_server server(fetch_options(defs));
  auto port = server.port();

  auto id = start_fetch(port, stub.url("/prices"));
  auto p = wait_until(port, id, finished);
  INFO(json::serialize(p));
  REQUIRE(text(p, "status") == "FAILED");
  CHECK(text(p, "error").find("500") != std::string::npos);
  CHECK(text(p, "error").find("fetch") != std::string::npos);
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 1);
  const auto& fetch = steps[0].as_object();
  CHECK(text(fetch, "status") == "FAILED");
  CHECK(fetch.at("attempt").as_int64() == 3);
  CHECK(text(fetch, "error").find("500") != std::string::npos);
  CHECK(p.at("outputs").as_object().empty());

  // Give a wrong 4th attempt time to show up: the last backoff would be 200 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto calls = stub.requests();
  CHECK(calls.size() == 3);
  check_calls(calls, id);

  // The history tells the same story: two failed attempts with a retry, then the failure.
  int attempts_failed = 0, attempts_started = 0;
  for (const auto& h : history(port, id)) {
    auto type = text(h.as_object(), "type");
    attempts_failed += type == "attempt_failed";
    attempts_started += type == "attempt_started";
  }
  CHECK(attempts_failed == 2);
  CHECK(attempts_started == 2);
}

TEST_CASE("an http step that succeeds on its 3rd attempt maps the answer", "[e2e]") {
  stub_server stub([](const stub_request&, std::size_t index) {
    if (index < 2) return stub_reply{500, R"({"error":"busy"})"};
    return stub_reply{200, R"({"price": 42.5, "currency": "EUR"})"};
  });
  definitions_folder defs;
  baton_server server(fetch_options(defs));
  auto port = server.port();

  auto id = start_fetch(port, stub.url("/prices"));
  auto p = wait_until(port, id, finished);
  INFO(json::serialize(p));
  REQUIRE(text(p, "status") == "SUCCEEDED");
  const auto& outputs = p.at("outputs").as_object();
  REQUIRE(outputs.contains("price"));
  CHECK(outputs.at("price").to_number<double>() == Approx(42.5));
  CHECK(text(outputs, "published") == "SKU-9 at 42.5");
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 2);
  CHECK(text(steps[0].as_object(), "status") == "COMPLETED");
  CHECK(steps[0].as_object().at("attempt").as_int64() == 3);
  CHECK(text(steps[1].as_object(), "status") == "COMPLETED");

  auto calls = stub.requests();
  CHECK(calls.size() == 3);
  check_calls(calls, id);
}

TEST_CASE("an http step to a host outside the allow-list fails without calling it", "[e2e]") {
  stub_server stub([](const stub_request&, std::size_t) {
    return stub_reply{200, R"({"price": 1})"};
  });
  definitions_folder defs;
  auto opts = fetch_options(defs);
  // Only another port of 127.0.0.1 is allowed: the stub's own port is not.
  auto other_port = stub.port() == 1 ? 2 : stub.port() - 1;
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1:" + std::to_string(other_port);
  baton_server server(opts);
  auto port = server.port();

  auto by_port = start_fetch(port, stub.url("/prices"));
  // "localhost" resolves to the stub, but it is not the allowed host name.
  auto by_name = start_fetch(port, "http://localhost:" + std::to_string(stub.port()) + "/prices");
  for (const auto& id : {by_port, by_name}) {
    auto p = wait_until(port, id, finished);
    INFO(json::serialize(p));
    CHECK(text(p, "status") == "FAILED");
    CHECK(text(p, "error").find("not allowed") != std::string::npos);
  }
  CHECK(stub.calls() == 0);
}
