// The binary says what it is, and its inspection commands name their choices.

#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test::e2e;

TEST_CASE("baton --version names the version", "[e2e][cli]") {
  auto r = run_baton({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.output.starts_with("baton "));
  CHECK(r.output.find('.') != std::string::npos);
}

TEST_CASE("db dump with an unknown family lists the families", "[e2e][cli]") {
  auto r = run_baton({"db", "dump", "--cf", "nope"});
  CHECK(r.exit_code != 0);
  INFO(r.output);
  CHECK(r.output.find("processes") != std::string::npos);
  CHECK(r.output.find("history") != std::string::npos);
}

TEST_CASE("db dump reads the store while the server runs", "[e2e][cli]") {
  baton::test::baton_server server;  // the example definitions are deployed at start
  auto r = run_baton(
      {"db", "dump", "--data", (server.data_dir() / "data").string(), "--cf", "definitions"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("PublishListPrices") != std::string::npos);
}
