#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// A form step, then a switch; small amounts are approved at once.
constexpr std::string_view approval_definition = R"({
  "name": "Approval",
  "inputs": {"applicant": {"type": "string", "required": true},
             "amount": {"type": "long", "required": true}},
  "outputs": ["decision"],
  "steps": [
    {"id": "review", "kind": "external", "name": "Officer review",
     "params": {"approved": "bool", "comment": {"type": "string", "required": false}}},
    {"id": "route", "kind": "switch", "cases": [{"when": "${approved} == false", "next": "reject"}],
     "default": "approve"},
    {"id": "approve", "kind": "script", "name": "Approve", "set": {"decision": "approved"}, "next": ""},
    {"id": "reject", "kind": "script", "set": {"decision": "rejected"}}
  ]})";

/// Calls a price service, waits an hour, asks for a confirmation. Sandbox runs must name a
/// scenario; none of them calls out or waits.
constexpr std::string_view pricing_definition = R"({
  "name": "Pricing",
  "requiresScenario": true,
  "outputs": ["price", "published"],
  "steps": [
    {"id": "fetch", "kind": "http", "name": "Fetch price",
     "http": {"url": "http://127.0.0.1:9/prices", "map": {"price": "/price"}}},
    {"id": "cool_down", "kind": "timer", "duration": "PT1H"},
    {"id": "confirm", "kind": "external", "params": {"ok": "bool"}},
    {"id": "publish", "kind": "script", "set": {"published": "at ${price}"}}
  ],
  "scenarios": {
    "happy": {"steps": {"fetch": {"outputs": {"price": 42}}, "confirm": {"complete": {"ok": true}}}},
    "broken": {"steps": {"fetch": {"fail": "price service down"}}}
  }})";

/// A timer that parks the execution for an hour.
constexpr std::string_view waiting_definition = R"({
  "name": "Waiting",
  "steps": [{"id": "nap", "kind": "timer", "name": "Nap", "duration": "PT1H"}]})";

struct workfloo_server {
  definitions_folder defs;
  std::unique_ptr<baton_server> server;
  std::string key;  ///< a runner allowed Approval*, Pricing and Waiting

  explicit workfloo_server(std::map<std::string, std::string> environment = {}) {
    defs.add("Approval", approval_definition);
    defs.add("Pricing", pricing_definition);
    defs.add("Waiting", waiting_definition);
    server_options opts;
    opts.definitions = defs.path();
    opts.environment = {{"BATON_AUTH__REQUIRED", "true"}};
    opts.environment.insert(environment.begin(), environment.end());
    server = std::make_unique<baton_server>(opts);
    key = create_client(port(), admin_key(*server), "workfloo-client", "runner",
                        R"(["Approval*","Pricing","Waiting"])")
              .api_key;
  }
  std::uint16_t port() const { return server->port(); }

  test_response post(std::string_view body, std::string_view query = "") const {
    return http_call(port(), "POST", "/api/v1/workfloo" + std::string(query), std::string(body),
                     key_header(key));
  }
  test_response get(const std::string& target) const {
    return http_call(port(), "GET", target, {}, key_header(key));
  }
  /// Starts an execution; REQUIREs 200 and @returns its id.
  std::string start(std::string_view body, std::string_view query = "") const {
    auto r = post(body, query);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return text(object_of(r), "id");
  }
  json::object status(const std::string& id) const {
    auto r = get("/api/v1/workfloo/status/" + id);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return object_of(r);
  }
  /// Polls the status document until `done` holds (10 s at most; check the result).
  json::object wait_status(const std::string& id,
                           const std::function<bool(const json::object&)>& done) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto s = status(id);
    while (!done(s) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      s = status(id);
    }
    return s;
  }
};

constexpr std::string_view small_loan =
    R"({"idWorkflooDefinition":"Approval","form":{"applicant":"Ada","amount":"500"}})";

bool at_form(const json::object& s) { return text(s, "currentNodeType") == "FORM"; }
bool finished(const json::object& s) { return text(s, "status") == "FINISHED"; }

}  // namespace

TEST_CASE("workfloo: start, status at a form, complete, execution with its nodes",
          "[e2e][workfloo]") {
  workfloo_server w;
  auto r = w.post(small_loan);
  REQUIRE(r.status == 200);
  auto started = object_of(r);
  auto id = text(started, "id");
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{24}")));
  REQUIRE(started.at("idUnykoo").is_int64());
  CHECK(started.at("idUnykoo").as_int64() > 0);

  auto s = w.wait_status(id, at_form);
  CHECK(text(s, "id") == id);
  CHECK(text(s, "name") == "Approval");
  CHECK(text(s, "status") == "IN_PROGRESS");
  CHECK(text(s, "currentNodeName") == "Officer review");
  CHECK(text(s, "currentNodeType") == "FORM");
  auto form = s.at("form").as_array();
  REQUIRE(form.size() == 2);
  CHECK(parse(json::serialize(form[0])) ==
        parse(R"({"name":"approved","type":"bool","required":true})"));
  CHECK(!s.contains("sandbox"));

  // The form node is completed with the native complete-step, by its node id.
  auto done =
      complete_step(w.port(), text(s, "currentNodeId"),
                    R"({"approved":{"boolValue":true,"type":"BOOLEAN"}})", key_header(w.key));
  INFO(done.body);
  REQUIRE(done.status == 200);
  s = w.wait_status(id, finished);
  CHECK(text(s, "status") == "FINISHED");
  CHECK(text(s, "currentNodeName") == "Approve");
  CHECK(text(s, "currentNodeType") == "SCRIPT");

  auto e = w.get("/api/v1/workfloo/" + id);
  REQUIRE(e.status == 200);
  auto execution = object_of(e);
  CHECK(text(execution, "status") == "FINISHED");
  CHECK(text(execution, "idWorkflooDefinition").size() == 24);
  CHECK(execution.at("outputs").as_object().at("decision").as_string() == "approved");
  CHECK(execution.at("variables").as_object().at("amount").as_int64() == 500);
  auto nodes = execution.at("nodes").as_array();
  REQUIRE(nodes.size() == 3);
  auto review = nodes[0].as_object();
  CHECK(text(review, "id") == id + "-1");
  CHECK(text(review, "name") == "Officer review");
  CHECK(text(review, "type") == "FORM");
  CHECK(text(review, "status") == "FINISHED");
  CHECK(is_iso_utc_ms(text(review, "created")));
  CHECK(is_iso_utc_ms(text(review, "modified")));
  CHECK(review.at("variables").as_object().at("approved").as_bool());
  CHECK(text(nodes[1].as_object(), "type") == "CONDITION");
  CHECK(text(nodes[2].as_object(), "name") == "Approve");
}

TEST_CASE("workfloo: the definition's 24-hex id names it as well as its name", "[e2e][workfloo]") {
  workfloo_server w;
  auto d = http_call(w.port(), "GET", "/api/v1/definitions/Approval", {},
                     key_header(admin_key(*w.server)));
  REQUIRE(d.status == 200);
  auto def_id = text(object_of(d), "id");
  REQUIRE(def_id.size() == 24);
  auto id = w.start(R"({"idWorkflooDefinition":")" + def_id +
                    R"(","form":{"applicant":"Bo","amount":7}})");
  CHECK(text(w.status(id), "name") == "Approval");
}

TEST_CASE("workfloo: every start error in the vendor's exact shape", "[e2e][workfloo]") {
  workfloo_server w;
  SECTION("401 without a key, or with a wrong one, has no body") {
    auto r = http_call(w.port(), "POST", "/api/v1/workfloo", std::string(small_loan));
    CHECK(r.status == 401);
    CHECK(r.body.empty());
    r = http_call(w.port(), "POST", "/api/v1/workfloo", std::string(small_loan),
                  key_header(std::string(64, 'a')));
    CHECK(r.status == 401);
    CHECK(r.body.empty());
  }
  SECTION("400 REQUIRED_FIELDS without idWorkflooDefinition") {
    for (auto body : {R"({})", R"({"form":{"a":1}})", R"({"idWorkflooDefinition":""})",
                      R"({"idWorkflooDefinition":null})"}) {
      auto r = w.post(body);
      INFO(body);
      CHECK(r.status == 400);
      CHECK(parse(r.body) == parse(R"({"typeError": "REQUIRED_FIELDS",
                                      "errors": {"idWorkflooDefinition": "required"},
                                      "errorMessage": ""})"));
    }
  }
  SECTION("400 REQUIRED_FIELDS naming each missing form field") {
    auto r = w.post(R"({"idWorkflooDefinition":"Approval","form":{}})");
    CHECK(r.status == 400);
    CHECK(parse(r.body) == parse(R"({"typeError": "REQUIRED_FIELDS",
                                    "errors": {"applicant": "required", "amount": "required"},
                                    "errorMessage": ""})"));
  }
  SECTION("400 VALIDATION_ERROR for a value of the wrong type or a bad member") {
    auto r =
        w.post(R"({"idWorkflooDefinition":"Approval","form":{"applicant":"A","amount":"lots"}})");
    CHECK(r.status == 400);
    auto o = object_of(r);
    CHECK(text(o, "typeError") == "VALIDATION_ERROR");
    CHECK(o.at("errors").as_object().contains("amount"));
    r = w.post(R"({"idWorkflooDefinition":"Approval","form":[1],"callbackUrl":"ftp://x"})");
    CHECK(r.status == 400);
    o = object_of(r);
    CHECK(text(o, "typeError") == "VALIDATION_ERROR");
    CHECK(o.at("errors").as_object().contains("form"));
    CHECK(o.at("errors").as_object().contains("callbackUrl"));
  }
  SECTION("400 VALIDATION_ERROR for a callback host outside outgoing.allow_hosts") {
    auto r =
        w.post(R"({"idWorkflooDefinition":"Waiting","callbackUrl":"http://evil.example.com/h"})");
    CHECK(r.status == 400);
    auto o = object_of(r);
    CHECK(text(o, "typeError") == "VALIDATION_ERROR");
    REQUIRE(o.at("errors").as_object().contains("callbackUrl"));
    CHECK(parse(r.body)
              .as_object()
              .at("errors")
              .at("callbackUrl")
              .as_string()
              .find("host not allowed") != std::string::npos);
  }
  SECTION("400 for a callback key that could write headers of its own, or is huge") {
    for (auto key : {std::string("k\\r\\nHost: evil"), std::string(70'000, 'k')}) {
      auto r = w.post(R"({"idWorkflooDefinition":"Waiting","callbackUrl":"http://127.0.0.1/h",
                          "callbackXApiKey":")" +
                      key + "\"}");
      CHECK(r.status == 400);
      auto o = object_of(r);
      CHECK(text(o, "typeError") == "VALIDATION_ERROR");
      CHECK(o.at("errors").as_object().contains("callbackXApiKey"));
    }
  }
  SECTION("400 for a body that is not JSON") {
    auto r = w.post("{not json");
    CHECK(r.status == 400);
    CHECK(text(object_of(r), "typeError") == "INVALID_JSON");
  }
  SECTION("404 for an unknown definition, 403 for one the key may not run") {
    auto r = w.post(R"({"idWorkflooDefinition":"Nope"})");
    CHECK(r.status == 404);
    CHECK(parse(r.body) == parse(R"({"typeError":"ELEMENT_NOT_EXIST_ERROR","errors":null,
                                    "errorMessage":"idWorkflooDefinition not found"})"));
    auto secret = std::string(waiting_definition);
    secret.replace(secret.find("Waiting"), 7, "Secret");
    REQUIRE(deploy(w.port(), "Secret", secret, key_header(admin_key(*w.server))).status == 201);
    r = w.post(R"({"idWorkflooDefinition":"Secret"})");
    CHECK(r.status == 403);
    CHECK(text(object_of(r), "typeError") == "FORBIDDEN");
  }
  SECTION("sandbox: no scenarioId where one is needed is 400, an unknown one 404") {
    auto r = w.post(R"({"idWorkflooDefinition":"Pricing"})", "?sandbox=true");
    CHECK(r.status == 400);
    CHECK(parse(r.body) == parse(R"({"typeError": "ELEMENT_NOT_EXIST_ERROR", "errors": null,
                                    "errorMessage": "scenarioId not found"})"));
    r = w.post(R"({"idWorkflooDefinition":"Pricing","scenarioId":"nope"})", "?sandbox=true");
    CHECK(r.status == 404);
    CHECK(parse(r.body) == parse(R"({"typeError": "ELEMENT_NOT_EXIST_ERROR", "errors": null,
                                    "errorMessage": "scenarioId not found"})"));
    r = w.post(R"({"idWorkflooDefinition":"Pricing"})", "?sandbox=maybe");
    CHECK(r.status == 400);
  }
  SECTION("unknown executions are 404 in the same shape") {
    for (auto target : {"/api/v1/workfloo/status/0123456789abcdef01234567",
                        "/api/v1/workfloo/0123456789abcdef01234567"}) {
      auto r = w.get(target);
      CHECK(r.status == 404);
      CHECK(text(object_of(r), "typeError") == "ELEMENT_NOT_EXIST_ERROR");
    }
  }
}

TEST_CASE("workfloo: sandbox executions take their scenario and are listed apart",
          "[e2e][workfloo][sandbox]") {
  workfloo_server w;
  auto happy =
      w.start(R"({"idWorkflooDefinition":"Pricing","scenarioId":"happy"})", "?sandbox=true");
  auto s = w.wait_status(happy, finished);
  CHECK(text(s, "status") == "FINISHED");  // no call out, no hour of waiting, no form
  CHECK(s.at("sandbox").as_bool());
  CHECK(text(s, "scenarioId") == "happy");
  auto execution = object_of(w.get("/api/v1/workfloo/" + happy));
  CHECK(text(execution.at("outputs").as_object(), "published") == "at 42");

  auto broken =
      w.start(R"({"idWorkflooDefinition":"Pricing","scenarioId":"broken"})", "?sandbox=true");
  s = w.wait_status(broken, [](const auto& o) { return text(o, "status") == "ERROR"; });
  CHECK(text(s, "status") == "ERROR");
  CHECK(text(s, "error").find("price service down") != std::string::npos);

  auto real = w.start(small_loan);
  auto listed = [&](std::string_view query) {
    std::set<std::string> ids;
    auto page = object_of(w.get("/api/v1/workfloo" + std::string(query)));
    for (const auto& item : page.at("items").as_array()) ids.insert(text(item.as_object(), "id"));
    return ids;
  };
  CHECK(listed("") == std::set<std::string>{real});
  CHECK(listed("?sandbox=true") == std::set<std::string>{happy, broken});
}

TEST_CASE("workfloo: a timer shows its end and the time left", "[e2e][workfloo]") {
  workfloo_server w;
  auto id = w.start(R"({"idWorkflooDefinition":"Waiting"})");
  auto s = w.wait_status(id, [](const auto& o) { return text(o, "currentNodeType") == "TIMER"; });
  CHECK(text(s, "currentNodeType") == "TIMER");
  CHECK(text(s, "currentNodeName") == "Nap");
  auto timer = s.at("timer").as_object();
  CHECK(is_iso_utc_ms(text(timer, "endWaitDate")));
  auto left = timer.at("remainingTime").as_int64();
  CHECK(left > 3'500'000);
  CHECK(left <= 3'600'000);
}

TEST_CASE("workfloo: listings page newest first, filter, and speak JSON, Link and CSV",
          "[e2e][workfloo]") {
  workfloo_server w;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w.start(small_loan));
  std::reverse(ids.begin(), ids.end());  // newest first

  auto page = [&](std::string_view query) {
    auto r = w.get("/api/v1/workfloo" + std::string(query));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return object_of(r);
  };
  auto ids_of = [](const json::array& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(text(i.as_object(), "id"));
    return out;
  };
  // Executions of a definition the key may not use are newer, but never on its pages.
  auto admin = key_header(admin_key(*w.server));
  auto secret = std::string(waiting_definition);
  secret.replace(secret.find("Waiting"), 7, "Secret");
  REQUIRE(deploy(w.port(), "Secret", secret, admin).status == 201);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(http_call(w.port(), "POST", "/api/v1/workfloo", R"({"idWorkflooDefinition":"Secret"})",
                      admin)
                .status == 200);
  }
  auto first = page("?page=1&itemsPerPage=2");
  CHECK(first.at("currentPage").as_int64() == 1);
  CHECK(first.at("hasNextPage").as_bool());
  CHECK(ids_of(first.at("items").as_array()) == std::vector<std::string>{ids[0], ids[1]});
  auto item = first.at("items").as_array()[0].as_object();
  CHECK(text(item, "name") == "Approval");
  CHECK(is_iso_utc_ms(text(item, "created")));
  auto third = page("?page=3&itemsPerPage=2");
  CHECK_FALSE(third.at("hasNextPage").as_bool());
  CHECK(ids_of(third.at("items").as_array()) == std::vector<std::string>{ids[4]});

  // Finish the oldest; filter by status and by creation time.
  w.wait_status(ids[4], at_form);
  auto node = text(w.status(ids[4]), "currentNodeId");
  REQUIRE(complete_step(w.port(), node, R"({"approved":{"boolValue":false,"type":"BOOLEAN"}})",
                        key_header(w.key))
              .status == 200);
  w.wait_status(ids[4], finished);
  CHECK(ids_of(page("?status=FINISHED").at("items").as_array()) ==
        std::vector<std::string>{ids[4]});
  CHECK(ids_of(page("?status=in_progress").at("items").as_array()).size() == 4);
  CHECK(page("?to=2020-01-01").at("items").as_array().empty());
  CHECK(page("?from=2020-01-01T00:00:00Z&to=2999-01-01").at("items").as_array().size() == 5);

  // v2: a bare array, Link to the next and previous pages, CSV on request.
  auto r = w.get("/api/v2/workfloo?page=2&itemsPerPage=2&status=IN_PROGRESS");
  REQUIRE(r.status == 200);
  CHECK(ids_of(parse(r.body).as_array()) == std::vector<std::string>{ids[2], ids[3]});
  auto link = r.header("link");
  CHECK(link.find("</api/v2/workfloo?page=1&itemsPerPage=2&status=IN_PROGRESS>; rel=\"prev\"") !=
        std::string::npos);
  CHECK(link.find("rel=\"next\"") == std::string::npos);  // the fourth in progress is the last
  r = w.get("/api/v2/workfloo?itemsPerPage=1");
  CHECK(r.header("link") == "</api/v2/workfloo?page=2&itemsPerPage=1>; rel=\"next\"");

  r = w.get("/api/v2/workfloo?format=csv&itemsPerPage=3");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").find("text/csv") == 0);
  std::vector<std::string> lines;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "id,idUnykoo,name,status,currentNodeId,currentNodeName,currentNodeType,created,modified\r");
  CHECK(lines[1].rfind(ids[0] + ",", 0) == 0);
  CHECK(lines[1].find(",Approval,IN_PROGRESS,") != std::string::npos);

  SECTION("bad list parameters name themselves") {
    auto bad = w.get("/api/v1/workfloo?page=0&itemsPerPage=1000&status=SLEEPING&from=yesterday");
    CHECK(bad.status == 400);
    auto o = object_of(bad);
    CHECK(text(o, "typeError") == "VALIDATION_ERROR");
    auto errors = o.at("errors").as_object();
    for (auto name : {"page", "itemsPerPage", "status", "from"}) CHECK(errors.contains(name));
    CHECK(w.get("/api/v1/workfloo?page=288230376151711745&itemsPerPage=64").status == 400);
    CHECK(w.get("/api/v2/workfloo?format=xml").status == 400);
  }
}

TEST_CASE("workfloo: callbacks report parking and the end, with the key, retried, in order",
          "[e2e][workfloo][callback]") {
  std::atomic<int> refusals{2};  // the receiver fails its first two calls
  stub_server receiver([&](const stub_request&, std::size_t) {
    if (refusals.fetch_sub(1) > 0) return stub_reply{503, "{}"};
    return stub_reply{200, "{}"};
  });
  workfloo_server w({{"BATON_OUTGOING__ALLOW_HOSTS", "127.0.0.1"},
                     {"BATON_OUTGOING__CALLBACK_BACKOFF_MS", "20"}});
  auto id = w.start(R"({"idWorkflooDefinition":"Approval","form":{"applicant":"Cy","amount":1},
                        "callbackUrl":")" +
                    receiver.url("/hooks/workfloo") + R"(","callbackXApiKey":"receiver-secret"})");
  auto s = w.wait_status(id, at_form);
  REQUIRE(complete_step(w.port(), text(s, "currentNodeId"),
                        R"({"approved":{"boolValue":true,"type":"BOOLEAN"}})", key_header(w.key))
              .status == 200);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (receiver.calls() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto calls = receiver.requests();
  REQUIRE(calls.size() == 4);  // parked: 503, 503, 200; ended: 200
  for (const auto& c : calls) {
    CHECK(c.method == "POST");
    CHECK(c.target == "/hooks/workfloo");
    CHECK(c.header("x-api-key") == "receiver-secret");
  }
  CHECK(calls[0].body == calls[2].body);  // the same report, tried again
  CHECK(calls[0].header("idempotency-key") == calls[2].header("idempotency-key"));
  auto parked = parse(calls[2].body).as_object();
  CHECK(text(parked, "id") == id);
  CHECK(text(parked, "currentNodeType") == "FORM");
  auto ended = parse(calls[3].body).as_object();
  CHECK(text(ended, "status") == "FINISHED");
  CHECK(calls[3].header("idempotency-key") != calls[2].header("idempotency-key"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(receiver.calls() == 4);  // delivered ones are not sent again
}

TEST_CASE("workfloo: an undelivered callback survives a crash and is delivered after it",
          "[e2e][workfloo][callback]") {
  std::atomic<bool> accepting{false};
  stub_server receiver([&](const stub_request&, std::size_t) {
    return accepting ? stub_reply{200, "{}"} : stub_reply{500, "{}"};
  });
  workfloo_server w({{"BATON_OUTGOING__ALLOW_HOSTS", "127.0.0.1"},
                     {"BATON_OUTGOING__CALLBACK_BACKOFF_MS", "20"},
                     {"BATON_OUTGOING__CALLBACK_ATTEMPTS", "1000"}});
  auto id = w.start(R"({"idWorkflooDefinition":"Waiting","callbackUrl":")" + receiver.url("/hook") +
                    R"("})");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (receiver.calls() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(receiver.calls() > 0);
  w.server->kill9();
  accepting = true;
  auto before = receiver.calls();
  w.server->start();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (receiver.calls() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto calls = receiver.requests();
  REQUIRE(calls.size() > before);
  auto report = parse(calls.back().body).as_object();
  CHECK(text(report, "id") == id);
  CHECK(text(report, "currentNodeType") == "TIMER");
  CHECK(calls.back().header("x-api-key").empty());  // none was given
}

TEST_CASE("workfloo: a node shows _PROCESSING while its call is out", "[e2e][workfloo]") {
  std::atomic<bool> release{false};
  stub_server slow([&](const stub_request&, std::size_t) {
    for (int i = 0; i < 500 && !release; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return stub_reply{200, R"({"price":3})"};
  });
  workfloo_server w(
      std::map<std::string, std::string>{{"BATON_OUTGOING__ALLOW_HOSTS", "127.0.0.1"}});
  auto def = R"({"name":"Waiting","steps":[{"id":"ask","kind":"http","name":"Ask",
                 "http":{"url":")" +
             slow.url("/price") + R"(","map":{"price":"/price"}}}]})";
  REQUIRE(deploy(w.port(), "Waiting", def, key_header(admin_key(*w.server))).status == 201);
  auto id = w.start(R"({"idWorkflooDefinition":"Waiting"})");
  auto s = w.wait_status(id, [](const auto& o) { return text(o, "currentNodeName") == "Ask"; });
  CHECK(text(s, "currentNodeType") == "HTTP_PROCESSING");
  CHECK(text(s, "status") == "IN_PROGRESS");
  release = true;
  s = w.wait_status(id, finished);
  CHECK(text(s, "currentNodeType") == "HTTP");
}
