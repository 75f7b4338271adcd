#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view work_definition =
    R"({"name":"QueuedWork","steps":[{"id":"work","kind":"external"}]})";

constexpr std::string_view call_definition = R"({
  "name": "CallOnce", "inputs": {"url": "string"}, "outputs": ["answer"],
  "steps": [{"id": "call", "kind": "http", "timeoutMs": 5000,
             "http": {"method": "POST", "url": "${url}", "map": {"answer": "/answer"}}}]})";

std::vector<std::string> queued_ids(std::uint16_t port, const std::string& scope) {
  auto r = http_call(port, "GET", "/api/v1/scopes/" + scope);
  REQUIRE(r.status == 200);
  std::vector<std::string> out;
  auto view = object_of(r);
  for (const auto& q : view.at("queued").as_array()) {
    out.push_back(text(q.as_object(), "id"));
  }
  return out;
}

/// The value of an unlabelled Prometheus sample; -1 when absent.
double metric(const std::string& text, const std::string& name) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+]+)"))) {
    return std::stod(m[1]);
  }
  return -1;
}

}  // namespace

TEST_CASE("a scope's queue comes back in order after kill -9", "[e2e][crash]") {
  definitions_folder defs;
  defs.add("QueuedWork", work_definition);
  server_options opts;
  opts.definitions = defs.path();
  baton_server server(opts);
  auto port = server.port();

  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(start(port, R"({"definition":"QueuedWork","scope":"line"})"));
  }
  REQUIRE(queued_ids(port, "line") == std::vector<std::string>(ids.begin() + 1, ids.end()));
  // A cancelled one leaves the queue for good.
  REQUIRE(http_call(port, "POST", "/api/v1/processes/" + ids[2] + "/cancel").status == 200);
  auto cancelled = ids[2];
  ids.erase(ids.begin() + 2);

  server.kill9();
  port = restart(server);

  CHECK(text(get_process(port, ids[0]), "status") == "RUNNING");
  CHECK(text(get_process(port, cancelled), "status") == "CANCELLED");
  CHECK(queued_ids(port, "line") == std::vector<std::string>(ids.begin() + 1, ids.end()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto p = wait_for_status(port, ids[i], "RUNNING");
    REQUIRE(text(p, "status") == "RUNNING");
    for (std::size_t j = i + 1; j < ids.size(); ++j) {
      CHECK(text(get_process(port, ids[j]), "status") == "WAITING");
    }
    auto r = complete_step(port, ids[i] + "-1", "");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  for (const auto& id : ids)
    CHECK(text(wait_for_status(port, id, "SUCCEEDED"), "status") == "SUCCEEDED");
}

TEST_CASE("an http call in flight at kill -9 is made again with the same Idempotency-Key",
          "[e2e][crash]") {
  // The first call is held until the server is gone; the repeat is answered at once.
  stub_server stub([](const stub_request&, std::size_t index) {
    if (index == 0) std::this_thread::sleep_for(400ms);
    return stub_reply{200, R"({"answer": "pong"})"};
  });
  definitions_folder defs;
  defs.add("CallOnce", call_definition);
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  baton_server server(opts);

  auto id = start(server.port(),
                  R"({"definition":"CallOnce","values":{"url":")" + stub.url("/ping") + "\"}}");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stub.calls() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(stub.calls() == 1);
  server.kill9();
  server.start();
  auto port = server.port();

  auto p = wait_for_status(port, id, "SUCCEEDED", 5s);
  INFO(json::serialize(p));
  REQUIRE(text(p, "status") == "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "answer") == "pong");
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 1);
  CHECK(text(steps[0].as_object(), "status") == "COMPLETED");

  auto calls = stub.requests();
  REQUIRE(calls.size() == 2);
  CHECK(!calls[0].header("idempotency-key").empty());
  CHECK(calls[1].header("idempotency-key") == calls[0].header("idempotency-key"));
  CHECK(calls[0].header("idempotency-key").find(id + "-1") == 0);
}

TEST_CASE("passivated waiting processes come back on the next message", "[e2e]") {
  definitions_folder defs;
  defs.add("QueuedWork", work_definition);
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_ENGINE__PASSIVATE_AFTER_MS"] = "50";
  baton_server server(opts);
  auto port = server.port();

  auto loose = start(port, R"({"definition":"QueuedWork"})");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(start(port, R"({"definition":"QueuedWork","scope":"sleepy"})"));
  }
  // Wait (bounded) until the idle processes have left memory.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  double passivated = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    passivated =
        metric(http_call(port, "GET", "/metrics").body, "baton_process_passivations_total");
    if (passivated >= 2) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(passivated >= 2);

  auto r = complete_step(port, loose + "-1", "");
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(text(get_process(port, loose), "status") == "SUCCEEDED");

  // The scope still admits in order, each process rehydrated when its turn comes.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(text(wait_for_status(port, ids[i], "RUNNING"), "status") == "RUNNING");
    std::this_thread::sleep_for(120ms);  // long enough to be passivated again
    auto c = complete_step(port, ids[i] + "-1", "");
    INFO(c.body);
    REQUIRE(c.status == 200);
  }
  for (const auto& id : ids) {
    CHECK(text(wait_for_status(port, id, "SUCCEEDED"), "status") == "SUCCEEDED");
  }
}

TEST_CASE("a retry backoff pending at kill -9 is kept and fires once after the restart",
          "[e2e][crash]") {
  stub_server stub([](const stub_request&, std::size_t index) {
    if (index == 0) return stub_reply{503, R"({"error":"later"})"};
    return stub_reply{200, R"({"answer": "late"})"};
  });
  definitions_folder defs;
  defs.add("RetryLater", R"({
    "name": "RetryLater", "inputs": {"url": "string"}, "outputs": ["answer"],
    "steps": [{"id": "call", "kind": "http",
               "http": {"method": "POST", "url": "${url}", "map": {"answer": "/answer"}},
               "retry": {"count": 3, "backoff": "fixed", "initialMs": 1000, "maxMs": 1000}}]})");
  server_options opts;
  opts.definitions = defs.path();
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  baton_server server(opts);

  auto id = start(server.port(),
                  R"({"definition":"RetryLater","values":{"url":")" + stub.url("/ask") + "\"}}");
  auto pending = wait_until(server.port(), id, [](const json::object& p) {
    const auto& steps = p.at("steps").as_array();
    return !steps.empty() && steps[0].as_object().contains("retryPending");
  });
  INFO(json::serialize(pending));
  REQUIRE(pending.at("steps").as_array()[0].as_object().contains("retryPending"));
  auto failed_at = pending.at("steps").as_array()[0].as_object().at("modifiedMs").as_int64();
  server.kill9();
  server.start();
  auto port = server.port();

  auto p = wait_for_status(port, id, "SUCCEEDED", 5s);
  INFO(json::serialize(p));
  REQUIRE(text(p, "status") == "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "answer") == "late");
  const auto& step = p.at("steps").as_array()[0].as_object();
  CHECK(step.at("attempt").as_int64() == 2);
  CHECK(step.at("modifiedMs").as_int64() - failed_at >= 1000);  // the backoff was kept
  auto calls = stub.requests();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].header("idempotency-key") == id + "-1.1");
  CHECK(calls[1].header("idempotency-key") == id + "-1.2");
}

TEST_CASE("a scope's settings survive kill -9", "[e2e][crash]") {
  definitions_folder defs;
  defs.add("QueuedWork", work_definition);
  server_options opts;
  opts.definitions = defs.path();
  baton_server server(opts);
  auto port = server.port();

  auto put = http_call(port, "PUT", "/api/v1/scopes/wide", R"({"limit":2,"busy":"reject"})");
  INFO(put.body);
  REQUIRE(put.status == 200);

  server.kill9();
  port = restart(server);

  auto r = http_call(port, "GET", "/api/v1/scopes/wide");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto scope = object_of(r);
  CHECK(scope.at("limit").as_int64() == 2);
  CHECK(text(scope, "busy") == "reject");
  // Two run at once; the third is refused, as the scope's own policy says.
  auto a = start(port, R"({"definition":"QueuedWork","scope":"wide"})");
  auto b = start(port, R"({"definition":"QueuedWork","scope":"wide"})");
  CHECK(text(get_process(port, a), "status") == "RUNNING");
  CHECK(text(get_process(port, b), "status") == "RUNNING");
  auto c =
      http_call(port, "POST", "/api/v1/processes", R"({"definition":"QueuedWork","scope":"wide"})");
  INFO(c.body);
  CHECK(c.status == 409);
}
