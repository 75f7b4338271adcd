#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

constexpr std::string_view notepad =
    R"({"definition":"OneStepNotepadRunner","values":{"username":"User","surname":"Surname"}})";

std::size_t count_listed(std::uint16_t port, const std::string& query) {
  auto r = http_call(port, "GET", "/api/v1/processes?" + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r).at("items").as_array().size();
}

}  // namespace

TEST_CASE("a synchronous start answers with the result when the process ends", "[e2e]") {
  baton_server server;
  auto port = server.port();

  auto body = std::string(notepad.substr(0, notepad.size() - 1)) +
              R"(,"wait":{"result":"x","timeoutMs":5000}})";
  auto r = http_call(port, "POST", "/api/v1/processes", body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto p = object_of(r);
  CHECK(text(p, "status") == "SUCCEEDED");
  CHECK(text(p, "result") == "User Surname");
  CHECK(r.header("location") == "/api/v1/processes/" + text(p, "id"));

  {  // a process that waits past timeoutMs answers 202 with its id
    REQUIRE(deploy(port, "Hold", R"({"steps":[{"id":"hold","kind":"external"}]})").status == 201);
    auto before = std::chrono::steady_clock::now();
    auto waiting = http_call(port, "POST", "/api/v1/processes",
                             R"({"definition":"Hold","wait":{"result":"x","timeoutMs":200}})");
    auto took = std::chrono::steady_clock::now() - before;
    INFO(waiting.body);
    REQUIRE(waiting.status == 202);
    auto w = object_of(waiting);
    auto id = text(w, "id");
    CHECK(!id.empty());
    CHECK(text(w, "status") == "RUNNING");
    CHECK(took >= std::chrono::milliseconds(150));
    CHECK(took < std::chrono::seconds(5));
    CHECK(text(get_process(port, id), "status") == "RUNNING");
  }

  {  // a synchronous start of an external step ends when the step is completed
    // Another client completes the step while the start waits.
    int completed = 0;
    std::thread completer([&] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      try {
        while (std::chrono::steady_clock::now() < deadline) {
          auto list = http_call(port, "GET", "/api/v1/processes?definition=LoanApproval");
          auto items = parse(list.body).as_object().at("items").as_array();
          if (!items.empty()) {
            auto id = text(items[0].as_object(), "id");
            completed = complete_step(port, id + "-1",
                                      R"({"approved":{"boolValue":true,"type":"BOOLEAN"},
                                          "comment":{"strValue":"fine","type":"STRING"}})")
                            .status;
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      } catch (const std::exception&) {
        completed = -1;  // seen by the CHECK below
      }
    });
    auto done = http_call(port, "POST", "/api/v1/processes",
                          R"({"definition":"LoanApproval","values":{"applicant":"A","amount":5},
                              "wait":{"result":"decision","timeoutMs":5000}})");
    completer.join();
    INFO(done.body);
    CHECK(completed == 200);
    REQUIRE(done.status == 200);
    CHECK(text(object_of(done), "status") == "SUCCEEDED");
    CHECK(text(object_of(done), "result") == "approved");
  }

  {  // wait takes only result and timeoutMs
    auto bad = http_call(port, "POST", "/api/v1/processes",
                         R"({"definition":"OneStepNotepadRunner","wait":{"timeoutMs":-1}})");
    CHECK(bad.status == 400);
    CHECK(text(object_of(bad), "field") == "/wait/timeoutMs");
  }
}

TEST_CASE("an idempotent start answers the first answer and starts nothing new", "[e2e]") {
  baton_server server;
  auto port = server.port();

  {  // by idempotencyKey in the body
    auto body = std::string(notepad.substr(0, notepad.size() - 1)) + R"(,"idempotencyKey":"k-1"})";
    auto first = http_call(port, "POST", "/api/v1/processes", body);
    REQUIRE(first.status == 201);
    auto second = http_call(port, "POST", "/api/v1/processes", body);
    INFO(second.body);
    REQUIRE(second.status == 200);
    CHECK(second.header("idempotent-replayed") == "true");
    CHECK(text(object_of(second), "id") == text(object_of(first), "id"));
    CHECK(count_listed(port, "definition=OneStepNotepadRunner") == 1);
  }

  {  // by the Idempotency-Key header
    auto first = http_call(port, "POST", "/api/v1/processes", std::string(notepad),
                           {{"Idempotency-Key", "order-17"}});
    INFO(first.body);
    REQUIRE(first.status == 201);
    CHECK(first.header("idempotent-replayed").empty());
    auto id = text(object_of(first), "id");

    auto second = http_call(port, "POST", "/api/v1/processes", std::string(notepad),
                            {{"Idempotency-Key", "order-17"}});
    INFO(second.body);
    REQUIRE(second.status == 200);
    CHECK(second.header("idempotent-replayed") == "true");
    CHECK(text(object_of(second), "id") == id);
    CHECK(count_listed(port, "definition=OneStepNotepadRunner") == 2);

    // Another key is another process.
    auto other = http_call(port, "POST", "/api/v1/processes", std::string(notepad),
                           {{"Idempotency-Key", "order-18"}});
    REQUIRE(other.status == 201);
    CHECK(text(object_of(other), "id") != id);
    CHECK(count_listed(port, "definition=OneStepNotepadRunner") == 3);

    // The key is durable: it still answers after a restart.
    server.stop();
    server.start();
    port = server.port();
    auto after = http_call(port, "POST", "/api/v1/processes", std::string(notepad),
                           {{"Idempotency-Key", "order-17"}});
    INFO(after.body);
    CHECK(after.status == 200);
    CHECK(after.header("idempotent-replayed") == "true");
    CHECK(text(object_of(after), "id") == id);
    CHECK(count_listed(port, "definition=OneStepNotepadRunner") == 3);
  }

  {  // concurrent starts with one key make one process
    std::vector<std::string> ids(6);
    std::vector<int> statuses(6);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          auto r =
              http_call(port, "POST", "/api/v1/processes",
                        R"({"definition":"LoanApproval","values":{"applicant":"A","amount":1}})",
                        {{"Idempotency-Key", "race"}});
          statuses[i] = r.status;
          ids[i] = text(parse(r.body).as_object(), "id");
        } catch (const std::exception&) {
          statuses[i] = -1;
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 201) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == 5);
    for (const auto& id : ids) CHECK(id == ids[0]);
    CHECK(count_listed(port, "definition=LoanApproval") == 1);
  }
}

TEST_CASE("a native start refuses a value no input declares, unless the definition takes extras",
          "[e2e]") {
  baton_server server;  // the example definitions: LoanApproval declares applicant and amount
  auto port = server.port();
  auto typo = http_call(port, "POST", "/api/v1/processes",
                        R"({"definition":"LoanApproval","values":{"applicant":"A","amout":2}})");
  INFO(typo.body);
  REQUIRE(typo.status == 400);
  auto problem = object_of(typo);
  CHECK(text(problem, "field") == "/values/amout");
  CHECK(text(problem, "detail").find("did you mean \"amount\"") != std::string::npos);
  CHECK(http_call(port, "GET", "/api/v1/processes?definition=LoanApproval").body.find("\"id\"") ==
        std::string::npos);  // nothing was started

  // A definition that says it takes extra values, and one that declares no inputs, take them.
  REQUIRE(deploy(port, "Open",
                 R"({"inputs":{"a":{"type":"long"}},"extraValues":true,)"
                 R"("steps":[{"id":"w","kind":"external"}]})")
                  .status /
              100 ==
          2);
  REQUIRE(deploy(port, "Bare", R"({"steps":[{"id":"w","kind":"external"}]})").status / 100 == 2);
  start(port, R"({"definition":"Open","values":{"a":1,"note":"x"}})");
  start(port, R"({"definition":"Bare","values":{"note":"x"}})");
  // The vendor front ends keep their documented behaviour (the connector takes any values).
  auto vendor = http_call(port, "POST", "/scheduler/connector-api/process/start",
                          R"({"name":"LoanApproval","values":{"applicant":"A","amount":1,"x":1}})");
  CHECK(vendor.status == 200);
}
