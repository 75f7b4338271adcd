// Retrying a FAILED process (POST /api/v1/processes/{id}/retry, and execute on its failed
// step): it runs again from the step that failed, with new values, and a process in a scope
// only with a free slot there.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Fetches a price for a sku from `url` (no retries: a bad answer fails the process at once).
constexpr std::string_view quote_definition = R"({
  "name": "Quote",
  "inputs": {"url": {"type": "string"}, "sku": {"type": "string"},
             "qty": {"type": "long", "required": false}},
  "outputs": ["price"],
  "steps": [
    {"id": "fetch", "kind": "http", "timeoutMs": 2000, "retry": {"count": 0},
     "http": {"method": "GET", "url": "${url}/${sku}", "map": {"price": "/price"}}}
  ]})";

struct quote_server {
  /// The delegate knows sku "good" only.
  stub_server delegate{[](const stub_request& r, std::size_t) {
    if (r.target.ends_with("/good")) return stub_reply{200, R"({"price": 4.5})"};
    return stub_reply{404, R"({"error": "unknown sku"})"};
  }};
  definitions_folder defs;
  std::unique_ptr<baton_server> server;
  quote_server() {
    defs.add("Quote", quote_definition);
    server_options opts;
    opts.definitions = defs.path();
    opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
    server = std::make_unique<baton_server>(opts);
  }
  std::uint16_t port() const { return server->port(); }
  std::string start_quote(const std::string& sku, const std::string& scope = {}) {
    std::string body = R"({"definition":"Quote","values":{"url":")" + delegate.url("/p") +
                       R"(","sku":")" + sku + "\"}";
    if (!scope.empty()) body += R"(,"scope":")" + scope + "\"";
    return start(port(), body + "}");
  }
  test_response retry(const std::string& id, std::string body = {}) {
    return http_call(port(), "POST", "/api/v1/processes/" + id + "/retry", std::move(body),
                     {{"Content-Type", "application/json"}});
  }
};

bool has_event(const json::array& events, std::string_view type, std::string_view detail) {
  return std::any_of(events.begin(), events.end(), [&](const json::value& e) {
    const auto& o = e.as_object();
    return text(o, "type") == type && text(o, "detail").find(detail) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("a FAILED process retried with new values runs again from the failed step",
          "[e2e][retry]") {
  quote_server q;
  auto id = q.start_quote("bad");
  auto failed = wait_for_status(q.port(), id, "FAILED");
  REQUIRE(text(failed, "status") == "FAILED");

  {  // a value of the wrong type for a declared input is refused, nothing changes
    auto r = q.retry(id, R"({"values":{"qty":"many"}})");
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(text(object_of(r), "field") == "/values/qty");
    CHECK(q.retry(id, R"({"valuez":{}})").status == 400);
    CHECK(text(get_process(q.port(), id), "status") == "FAILED");
  }
  auto r = q.retry(id, R"({"values":{"sku":"good"}})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto done = wait_for_status(q.port(), id, "SUCCEEDED");
  REQUIRE(text(done, "status") == "SUCCEEDED");
  CHECK(done.at("outputs").as_object().at("price").to_number<double>() == Approx(4.5));
  auto events = history(q.port(), id);
  CHECK(has_event(events, "process_retried", "from step fetch"));
  CHECK(has_event(events, "process_retried", "with new values"));

  // Only a FAILED process: this one has SUCCEEDED.
  auto again = q.retry(id);
  CHECK(again.status == 409);
  CHECK(q.retry("nosuchprocess").status == 404);
}

TEST_CASE("executing the failed step of a FAILED process resumes it", "[e2e][retry]") {
  quote_server q;
  auto id = q.start_quote("bad");
  auto failed = wait_for_status(q.port(), id, "FAILED");
  // By the definition's step id. The delegate still does not know "bad": the step fails
  // again, as a second execution.
  auto r = http_call(q.port(), "POST", "/api/v1/processes/" + id + "/steps/fetch/execute");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto again = wait_until(q.port(), id, [](const json::object& p) {
    return text(p, "status") == "FAILED" && p.at("steps").as_array().size() == 2;
  });
  CHECK(text(again, "status") == "FAILED");
  CHECK(again.at("steps").as_array().size() == 2);
  CHECK(q.delegate.calls() == 2);
}

TEST_CASE("a FAILED process of a scope is retried only with a free slot there", "[e2e][retry]") {
  quote_server q;
  REQUIRE(http_call(q.port(), "PUT", "/api/v1/scopes/desk", R"({"limit":1})").status == 200);
  auto failing = q.start_quote("bad", "desk");
  REQUIRE(text(wait_for_status(q.port(), failing, "FAILED"), "status") == "FAILED");
  // Another process takes the one slot and holds it (its delegate call waits on nothing:
  // an external step would do the same; here a process of another definition).
  REQUIRE(deploy(q.port(), "Hold", R"({"steps":[{"id":"wait","kind":"external"}]})").status / 100 ==
          2);
  auto holder = start(q.port(), R"({"definition":"Hold","scope":"desk"})");
  REQUIRE(text(get_process(q.port(), holder), "status") == "RUNNING");

  auto busy = q.retry(failing, R"({"values":{"sku":"good"}})");
  INFO(busy.body);
  CHECK(busy.status == 409);
  CHECK(text(get_process(q.port(), failing), "status") == "FAILED");

  REQUIRE(http_call(q.port(), "POST", "/api/v1/processes/" + holder + "/steps/wait/complete", "{}")
              .status == 200);
  // The completion acknowledges the step; the holder ends and frees its slot just after.
  auto slot_free = [&] {
    auto scope = http_call(q.port(), "GET", "/api/v1/scopes/desk");
    return scope.status == 200 && object_of(scope).at("running").as_array().empty();
  };
  REQUIRE(eventually(slot_free));
  auto r = q.retry(failing, R"({"values":{"sku":"good"}})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(text(wait_for_status(q.port(), failing, "SUCCEEDED"), "status") == "SUCCEEDED");
  // The slot is free again: a new process of the scope runs at once.
  REQUIRE(eventually(slot_free));
  auto next = start(q.port(), R"({"definition":"Hold","scope":"desk"})");
  CHECK(text(get_process(q.port(), next), "status") == "RUNNING");
}
