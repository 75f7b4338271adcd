#include <catch2/catch.hpp>

#include "tests/support/baton_server.hpp"
#include "tests/support/test_client.hpp"

using namespace baton::test;

TEST_CASE("OneStepNotepadRunner runs to SUCCEEDED with its output", "[e2e]") {
  baton_server server;
  auto r = http_call(
      server.port(), "POST", "/api/v1/processes",
      R"({"definition":"OneStepNotepadRunner","values":{"username":"User","surname":"Surname"}})");
  REQUIRE(r.status == 201);
  CHECK(r.body.find(R"("status":"SUCCEEDED")") != std::string::npos);
  CHECK(r.body.find(R"("outputs":{"x":"User Surname"})") != std::string::npos);
}
