#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

std::size_t listed(std::uint16_t port) {
  auto list = http_call(port, "GET", "/api/v1/processes");
  REQUIRE(list.status == 200);
  return object_of(list).at("items").as_array().size();
}

}  // namespace

// One server for every check: each block leaves it as the next one expects.
TEST_CASE("request limits, malformed JSON, duplicate keys, health and metrics", "[e2e]") {
  server_options opts;
  opts.environment["BATON_HTTP__BODY_LIMIT"] = "1024";
  baton_server server(opts);
  auto port = server.port();

  {  // malformed JSON is a 400 problem that says what is wrong
    for (std::string body : {R"({"definition": )", R"({"definition":"OneStepNotepadRunner",})",
                             R"(definition=OneStepNotepadRunner)", "\"\xff\""}) {
      auto r = http_call(port, "POST", "/api/v1/processes", body);
      INFO(body << " -> " << r.body);
      CHECK(r.status == 400);
      CHECK(r.header("content-type") == "application/problem+json");
      auto p = object_of(r);
      CHECK(p.at("status").as_int64() == 400);
      CHECK(text(p, "detail").size() > 10);
    }
    auto r = http_call(port, "POST", "/api/v1/processes", R"({"definition": )");
    CHECK(text(object_of(r), "detail").find("JSON") != std::string::npos);
    // A well-formed body of the wrong shape names the field.
    auto wrong = http_call(port, "POST", "/api/v1/processes",
                           R"({"definition":"OneStepNotepadRunner","values":[1]})");
    CHECK(wrong.status == 400);
    CHECK(text(object_of(wrong), "field") == "/values");
    auto unknown = http_call(port, "POST", "/api/v1/processes",
                             R"({"definition":"OneStepNotepadRunner","colour":"red"})");
    CHECK(unknown.status == 400);
    CHECK(text(object_of(unknown), "field") == "/colour");
    // Nothing was started by any of them.
    CHECK(listed(port) == 0);
  }

  {  // a body over the limit gets 413 and the server carries on
    auto big = std::string(R"({"definition":"OneStepNotepadRunner","values":{"username":")") +
               std::string(2000, 'a') + R"(","surname":"S"}})";
    auto r = http_call(port, "POST", "/api/v1/processes", big);
    CHECK(r.status == 413);
    CHECK(http_call(port, "GET", "/healthz").status == 200);
    // Just under the limit is fine.
    auto small = std::string(R"({"definition":"OneStepNotepadRunner","values":{"username":")") +
                 std::string(900, 'a') + R"(","surname":"S"}})";
    REQUIRE(small.size() < 1024);
    CHECK(http_call(port, "POST", "/api/v1/processes", small).status == 201);
    // Only the one that fit was started.
    CHECK(listed(port) == 1);
  }

  {  // a header over the limit gets 431
    auto r = http_call(port, "GET", "/healthz", {}, {{"X-Padding", std::string(20000, 'p')}});
    CHECK(r.status == 431);
    CHECK(http_call(port, "GET", "/healthz").status == 200);
  }

  {  // duplicate JSON keys: the last one wins
    auto r = http_call(port, "POST", "/api/v1/processes",
                       R"({"definition":"nope","definition":"OneStepNotepadRunner",
                           "values":{"username":"A","username":"User","surname":"Surname"}})");
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto p = object_of(r);
    CHECK(text(p, "definition") == "OneStepNotepadRunner");
    auto done = wait_for_status(port, text(p, "id"), "SUCCEEDED");
    CHECK(text(done.at("outputs").as_object(), "x") == "User Surname");
    // And the other way round: the last one names an unknown definition.
    auto last = http_call(port, "POST", "/api/v1/processes",
                          R"({"definition":"OneStepNotepadRunner","definition":"nope"})");
    CHECK(last.status == 404);
  }

  {  // an unknown route is a 404 problem, a wrong method 405
    CHECK(http_call(port, "GET", "/api/v1/nothing-here").status == 404);
    CHECK(http_call(port, "DELETE", "/api/v1/definitions").status == 405);
    CHECK(http_call(port, "GET", "/api/v1/processes/unknown-id").status == 404);
  }

  {  // health, readiness and metrics
    CHECK(http_call(port, "GET", "/healthz").status == 200);
    CHECK(http_call(port, "GET", "/readyz").status == 200);
    auto before = http_call(port, "GET", "/metrics");
    REQUIRE(before.status == 200);
    CHECK(before.header("content-type").find("text/plain") == 0);
    const std::string started =
        R"(baton_http_requests_total{route="/api/v1/processes",status="201"})";
    auto started_before = sample(before.body, started);
    auto commits_before = sample(before.body, "baton_store_commits_total");
    CHECK(started_before >= 2);
    CHECK(commits_before >= 1);
    CHECK(before.body.find("# TYPE baton_store_commits_total counter") != std::string::npos);
    CHECK(before.body.find("baton_http_request_duration_seconds_bucket") != std::string::npos);

    start(port, R"({"definition":"OneStepNotepadRunner","values":{"username":"A","surname":"B"}})");
    auto after = http_call(port, "GET", "/metrics").body;
    CHECK(sample(after, started) == started_before + 1);
    CHECK(sample(after, "baton_store_commits_total") > commits_before);
  }
}
