// Message steps over HTTP, against the real binary: POST /api/v1/messages completes every step
// waiting for its name and correlation, buffers a message that comes first (ttlMs), answers a
// repeated messageId with its first answer, and all of it survives kill -9.

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Not examples/definitions/DocumentWait.json, which the test server deploys at each start.
constexpr std::string_view document_wait = R"({
  "name": "LoanDocuments",
  "inputs": {"loanId": "string"},
  "outputs": ["documentUrl", "status"],
  "steps": [
    {"id": "wait_document", "kind": "message", "name": "document-arrived",
     "correlation": "loan-${loanId}",
     "params": {"documentUrl": "string", "pages": {"type": "long", "required": false}}},
    {"id": "file", "kind": "script", "set": {"status": "filed"}}
  ]})";

struct server_with_documents {
  baton_server server;
  std::uint16_t port;
  server_with_documents() : port(server.port()) { deploy_definition(); }
  void deploy_definition() {
    REQUIRE(deploy(port, "LoanDocuments", document_wait).status / 100 == 2);
  }
  std::string start_for(const std::string& loan) {
    return start(port, R"({"definition":"LoanDocuments","values":{"loanId":")" + loan + "\"}}");
  }
  /// Starts a process and waits until it parks at its message step.
  std::string parked_for(const std::string& loan) {
    auto id = start_for(loan);
    auto p = wait_until(port, id, [](const json::object& p) {
      return text(p, "status") == "RUNNING" && !last_step_id(p).empty();
    });
    REQUIRE(text(p, "status") == "RUNNING");
    return id;
  }
};

test_response post_message(std::uint16_t port, std::string_view body) {
  return http_call(port, "POST", "/api/v1/messages", std::string(body));
}

json::object posted(std::uint16_t port, std::string_view body) {
  auto r = post_message(port, body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

std::int64_t completed_of(const json::object& answer) { return answer.at("completed").as_int64(); }

std::vector<std::string> processes_of(const json::object& answer) {
  std::vector<std::string> out;
  for (const auto& p : answer.at("processes").as_array()) out.emplace_back(p.as_string());
  std::ranges::sort(out);
  return out;
}

/// How many history entries of the process are of `type`.
std::size_t count_history(std::uint16_t port, const std::string& id, std::string_view type) {
  auto items = history(port, id);
  return static_cast<std::size_t>(std::ranges::count_if(
      items, [&](const json::value& e) { return text(e.as_object(), "type") == type; }));
}

}  // namespace

TEST_CASE("a message completes every step waiting for its name and correlation", "[message]") {
  server_with_documents s;
  auto a = s.parked_for("L1");
  auto b = s.parked_for("L1");
  auto other = s.parked_for("L2");

  auto answer = posted(s.port, R"({"name":"document-arrived","correlation":"loan-L1",
      "values":{"documentUrl":"https://example.com/1.pdf","pages":3}})");
  CHECK(completed_of(answer) == 2);
  auto expected = std::vector<std::string>{a, b};
  std::ranges::sort(expected);
  CHECK(processes_of(answer) == expected);
  CHECK_FALSE(answer.at("buffered").as_bool());
  // Answered after the write: the processes are already past the step.
  for (const auto& id : {a, b}) {
    auto p = get_process(s.port, id);
    CHECK(text(p, "status") == "SUCCEEDED");
    CHECK(text(p.at("outputs").as_object(), "documentUrl") == "https://example.com/1.pdf");
  }
  CHECK(text(get_process(s.port, other), "status") == "RUNNING");

  // Nothing waits any more for loan-L1: nothing completed, nothing buffered (no ttl).
  auto again = posted(s.port, R"({"name":"document-arrived","correlation":"loan-L1",
      "values":{"documentUrl":"https://example.com/2.pdf"}})");
  CHECK(completed_of(again) == 0);
  CHECK_FALSE(again.at("buffered").as_bool());
  // Another name with the same correlation completes nothing either.
  CHECK(completed_of(posted(s.port, R"({"name":"other","correlation":"loan-L2"})")) == 0);
  CHECK(text(get_process(s.port, other), "status") == "RUNNING");
  // complete-step does not complete a message step.
  auto step = last_step_id(get_process(s.port, other));
  CHECK(complete_step(s.port, step, R"({"documentUrl":"x"})").status == 412);
}

TEST_CASE("a message whose values do not fit a step's params is refused for that step",
          "[message]") {
  server_with_documents s;
  auto id = s.parked_for("L3");
  auto answer = posted(s.port, R"({"name":"document-arrived","correlation":"loan-L3",
      "values":{"documentUrl":"https://example.com/3.pdf","pages":"three"}})");
  CHECK(completed_of(answer) == 0);
  REQUIRE(answer.at("refused").as_array().size() == 1);
  const auto& refused = answer.at("refused").as_array()[0].as_object();
  CHECK(text(refused, "processStepId") == last_step_id(get_process(s.port, id)));
  CHECK(text(refused.at("params").as_object(), "pages") == "expected long");
  CHECK(text(get_process(s.port, id), "status") == "RUNNING");
}

TEST_CASE("a malformed message is a problem naming the field", "[message]") {
  server_with_documents s;
  auto field_of = [&](std::string_view body) {
    auto r = post_message(s.port, body);
    INFO(r.body);
    CHECK(r.status == 400);
    return text(object_of(r), "field");
  };
  CHECK(field_of(R"({"correlation":"x"})") == "name");
  CHECK(field_of(R"({"name":"document-arrived"})") == "correlation");
  CHECK(field_of(R"({"name":"a","correlation":"x","ttlMs":-1})") == "ttlMs");
  CHECK(field_of(R"({"name":"a","correlation":"x","values":[1]})") == "values");
  CHECK(field_of(R"({"name":"a","correlation":"x","colour":"red"})") == "colour");
  CHECK(field_of(R"([1,2])") == "body");
}

TEST_CASE("a message with a ttl that comes first is consumed by one step that starts later",
          "[message]") {
  server_with_documents s;
  auto answer = posted(s.port, R"({"name":"document-arrived","correlation":"loan-L4",
      "values":{"documentUrl":"https://example.com/4.pdf"},"ttlMs":600000})");
  CHECK(completed_of(answer) == 0);
  CHECK(answer.at("buffered").as_bool());

  auto first = s.start_for("L4");
  auto done = wait_for_status(s.port, first, "SUCCEEDED");
  CHECK(text(done, "status") == "SUCCEEDED");
  CHECK(text(done.at("outputs").as_object(), "documentUrl") == "https://example.com/4.pdf");
  // Consumed: the next step for the same correlation waits.
  auto second = s.parked_for("L4");
  CHECK(text(get_process(s.port, second), "status") == "RUNNING");
  CHECK(count_history(s.port, second, "step_completed") == 0);
}

TEST_CASE("a message buffered with ttl 0 is not kept", "[message]") {
  server_with_documents s;
  auto answer = posted(s.port, R"({"name":"document-arrived","correlation":"loan-L5",
      "values":{"documentUrl":"u"},"ttlMs":0})");
  CHECK_FALSE(answer.at("buffered").as_bool());
  auto id = s.parked_for("L5");
  // A later message completes it: proof that it was waiting, not consuming anything.
  CHECK(completed_of(posted(s.port, R"({"name":"document-arrived","correlation":"loan-L5",
      "values":{"documentUrl":"later"}})")) == 1);
  CHECK(text(get_process(s.port, id).at("outputs").as_object(), "documentUrl") == "later");
}

TEST_CASE("a repeated messageId answers the first answer and does nothing", "[message]") {
  server_with_documents s;
  auto a = s.parked_for("L6");
  constexpr std::string_view body = R"({"name":"document-arrived","correlation":"loan-L6",
      "values":{"documentUrl":"u"},"messageId":"doc-6"})";
  auto first = posted(s.port, body);
  CHECK(completed_of(first) == 1);
  CHECK(processes_of(first) == std::vector<std::string>{a});

  auto b = s.parked_for("L6");
  auto repeat = posted(s.port, body);
  CHECK(completed_of(repeat) == 1);
  CHECK(processes_of(repeat) == std::vector<std::string>{a});
  CHECK(repeat.at("replayed").as_bool());
  CHECK(text(get_process(s.port, b), "status") == "RUNNING");
}

TEST_CASE("a message step's timeout fails the process when no message comes", "[message]") {
  baton_server server;
  REQUIRE(deploy(server.port(), "ShortWait", R"({
    "name": "ShortWait",
    "steps": [{"id": "w", "kind": "message", "name": "never", "correlation": "c",
               "timeoutMs": 200}]})")
                  .status /
              100 ==
          2);
  auto id = start(server.port(), R"({"definition":"ShortWait"})");
  auto p = wait_for_status(server.port(), id, "FAILED");
  CHECK(text(p, "status") == "FAILED");
  CHECK(text(p, "error") == "w: timed out after 200 ms");
  // The wait ended with the step: a message finds nothing.
  CHECK(completed_of(posted(server.port(), R"({"name":"never","correlation":"c"})")) == 0);
}

TEST_CASE("after kill -9 waiting steps and buffered messages are where they were", "[message]") {
  server_with_documents s;
  auto waiting = s.parked_for("K1");
  CHECK(posted(s.port, R"({"name":"document-arrived","correlation":"loan-K2",
      "values":{"documentUrl":"buffered"},"ttlMs":600000})")
            .at("buffered")
            .as_bool());
  s.server.kill9();
  s.port = restart(s.server);

  auto answer = posted(s.port, R"({"name":"document-arrived","correlation":"loan-K1",
      "values":{"documentUrl":"after-restart"}})");
  CHECK(completed_of(answer) == 1);
  CHECK(processes_of(answer) == std::vector<std::string>{waiting});
  auto p = get_process(s.port, waiting);
  CHECK(text(p, "status") == "SUCCEEDED");

  auto later = s.start_for("K2");
  auto done = wait_for_status(s.port, later, "SUCCEEDED");
  CHECK(text(done.at("outputs").as_object(), "documentUrl") == "buffered");

  // Each finished exactly once, and the buffered message is gone.
  CHECK(count_history(s.port, waiting, "process_succeeded") == 1);
  CHECK(count_history(s.port, later, "process_succeeded") == 1);
  auto next = s.parked_for("K2");
  CHECK(text(get_process(s.port, next), "status") == "RUNNING");
}

TEST_CASE("a step waiting when the server died still meets a buffered message", "[message]") {
  server_with_documents s;
  auto waiting = s.parked_for("K3");
  s.server.kill9();
  s.port = restart(s.server);
  CHECK(completed_of(posted(s.port, R"({"name":"document-arrived","correlation":"loan-K3",
      "values":{"documentUrl":"x"},"ttlMs":600000})")) == 1);
  CHECK(text(get_process(s.port, waiting), "status") == "SUCCEEDED");
  CHECK(count_history(s.port, waiting, "process_succeeded") == 1);
}
