#include <catch2/catch.hpp>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/stub_server.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

TEST_CASE("native start: a callback hears the park and the end as process JSON",
          "[e2e][callback]") {
  stub_server receiver([](const stub_request&, std::size_t) { return stub_reply{204, ""}; });
  server_options opts;
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "127.0.0.1";
  baton_server server(opts);
  auto id =
      start(server.port(),
            R"({"definition":"LoanApproval","values":{"applicant":"Al","amount":10},
                      "callback":{"url":")" +
                receiver.url("/cb") + R"(","headers":{"Authorization":"Bearer receiver-token"}}})");
  auto p = wait_until(server.port(), id, [](const auto& o) { return !last_step_id(o).empty(); });
  CHECK(text(p, "callbackUrl") == receiver.url("/cb"));
  CHECK(!p.contains("headers"));  // the secret stays out of the process document
  REQUIRE(complete_step(server.port(), last_step_id(p),
                        R"({"approved":{"boolValue":true,"type":"BOOLEAN"}})")
              .status == 200);
  wait_for_status(server.port(), id, "SUCCEEDED");

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (receiver.calls() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto calls = receiver.requests();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].header("authorization") == "Bearer receiver-token");
  CHECK(calls[0].header("content-type") == "application/json");
  auto parked = parse(calls[0].body).as_object();
  CHECK(text(parked, "id") == id);
  CHECK(text(parked, "status") == "RUNNING");
  CHECK(text(parse(calls[1].body).as_object(), "status") == "SUCCEEDED");

  std::string metrics;
  for (int i = 0; i < 250; ++i) {
    metrics = http_call(server.port(), "GET", "/metrics").body;
    if (metrics.find("baton_callbacks_delivered_total 2\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(metrics.find("baton_callbacks_delivered_total 2\n") != std::string::npos);
  CHECK(metrics.find("baton_callbacks_given_up_total 0\n") != std::string::npos);
}

TEST_CASE("native start: a malformed callback is a 400 naming the field", "[e2e][callback]") {
  baton_server server;
  for (auto [callback, field] :
       {std::pair{R"("http://x")", "/callback"},
        {R"({"url":"ftp://x"})", "/callback/url"},
        {R"({"url":"http://x","headers":{"a":1}})", "/callback/headers/a"},
        {R"({"url":"http://x","retries":3})", "/callback/retries"},
        {R"({"url":"http://x","headers":{"a":"b\r\nHost: evil"}})", "/callback/headers/a"},
        {R"({"url":"http://x","headers":{"Content-Length":"0"}})",
         "/callback/headers/Content-Length"},
        {R"({"url":"http://x","headers":{"a b":"c"}})", "/callback/headers/a b"}}) {
    auto r = http_call(server.port(), "POST", "/api/v1/processes",
                       R"({"definition":"LoanApproval","values":{"applicant":"Al","amount":10},
                           "callback":)" +
                           std::string(callback) + "}");
    INFO(callback << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(text(object_of(r), "field") == field);
  }
}

TEST_CASE("native start: a callback host outside outgoing.allow_hosts is refused at once",
          "[e2e][callback]") {
  server_options opts;
  opts.environment["BATON_OUTGOING__ALLOW_HOSTS"] = "hooks.example.com:443";
  baton_server server(opts);
  auto start_with = [&](const std::string& url) {
    return http_call(server.port(), "POST", "/api/v1/processes",
                     R"({"definition":"LoanApproval","values":{"applicant":"Al","amount":10},
                         "callback":{"url":")" +
                         url + R"("}})");
  };
  auto refused = start_with("https://evil.example.com/cb");
  CHECK(refused.status == 400);
  CHECK(text(object_of(refused), "field") == "/callback/url");
  CHECK(text(object_of(refused), "detail").find("host not allowed: evil.example.com") !=
        std::string::npos);
  CHECK(start_with("http://hooks.example.com/cb").status == 400);  // port 80 is not allowed
  // Nothing was started by the refusals.
  auto listed = http_call(server.port(), "GET", "/api/v1/processes");
  CHECK(object_of(listed).at("items").as_array().empty());
  CHECK(start_with("https://hooks.example.com/cb").status == 201);
}
