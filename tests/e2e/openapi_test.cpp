// The OpenAPI document (http/openapi.json) against the binary: every route the server
// registers is in the document and the document names no route the server lacks, and the
// served copy is the document in the repository.

#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/etcd_cluster.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

using route_set = std::set<std::pair<std::string, std::string>>;

std::string source_document() {
  std::ifstream in(std::string(BATON_SOURCE_DIR) + "/http/openapi.json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// (METHOD, path) of every operation the document describes; with `cluster_only`, only
/// those marked `x-baton-cluster-only` (served by the nodes of a cluster alone), else only
/// the others.
route_set documented(const json::object& doc, bool cluster_only = false) {
  route_set out;
  for (const auto& [path, ops] : doc.at("paths").as_object())
    for (const auto& [method, op] : ops.as_object()) {
      auto name = std::string(method);
      if (name == "parameters" || name == "summary" || name == "description") continue;
      const auto& o = op.as_object();
      bool marked = o.contains("x-baton-cluster-only") && o.at("x-baton-cluster-only").as_bool();
      if (marked != cluster_only) continue;
      out.emplace(boost::algorithm::to_upper_copy(name), std::string(path));
    }
  return out;
}

/// Every (METHOD, pattern) the binary serves: `baton serve --print-routes`, the same
/// registration as a real start.
route_set served(const std::string& extra_args = {}) {
  temp_dir data;
  auto [out, status] =
      run_command(std::string(BATON_BINARY) + " serve --print-routes --listen 127.0.0.1:0 --data " +
                      (data.path() / "data").string() + extra_args,
                  /*with_stderr=*/false);
  INFO(out);
  REQUIRE(status == 0);
  route_set routes;
  // One route a line, "METHOD /pattern"; a cluster node's log lines may come between.
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto space = line.find(' ');
    if (space == std::string::npos || space + 1 >= line.size() || line[space + 1] != '/') continue;
    auto method = line.substr(0, space);
    if (!std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      continue;
    routes.emplace(method, line.substr(space + 1));
  }
  return routes;
}

}  // namespace

TEST_CASE("the OpenAPI document names exactly the routes the server serves", "[e2e][openapi]") {
  auto doc = parse(source_document()).as_object();
  CHECK(doc.at("openapi").as_string().starts_with("3.1"));
  auto in_doc = documented(doc);
  auto in_server = served();
  REQUIRE(in_server.size() > 20);
  for (const auto& route : in_server) {
    INFO("describe " << route.first << " " << route.second << " in http/openapi.json");
    CHECK(in_doc.count(route) == 1);
  }
  for (const auto& route : in_doc) {
    INFO("http/openapi.json names a route the server lacks: " << route.first << " "
                                                              << route.second);
    CHECK(in_server.count(route) == 1);
  }
}

TEST_CASE("a cluster node serves the routes the document marks as a cluster's", "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto doc = parse(source_document()).as_object();
  auto in_doc = documented(doc, /*cluster_only=*/true);
  REQUIRE(in_doc.size() >= 2);
  auto in_node = served(" --node openapi --etcd " + etcd.endpoints().front());
  auto alone = served();
  for (const auto& route : in_doc) {
    INFO(route.first << " " << route.second);
    CHECK(in_node.count(route) == 1);
    CHECK(alone.count(route) == 0);  // else it is not a cluster's alone: drop the mark
  }
  // Everything else a node serves is what a single server serves.
  for (const auto& route : in_node) {
    INFO("describe " << route.first << " " << route.second << " in http/openapi.json");
    CHECK((alone.count(route) == 1 || in_doc.count(route) == 1));
  }
}

TEST_CASE("the server serves the document and its reader without credentials", "[e2e][openapi]") {
  server_options opts;
  opts.environment["BATON_AUTH__REQUIRED"] = "true";
  // The CLI's variables, exported in the same shell, must not stop the server.
  opts.environment["BATON_URL"] = "http://127.0.0.1:1";
  opts.environment["BATON_KEY"] = "not-a-setting";
  baton_server server(opts);
  auto doc = http_call(server.port(), "GET", "/api/v1/openapi.json");
  REQUIRE(doc.status == 200);
  CHECK(doc.header("content-type").starts_with("application/json"));
  CHECK(doc.body == source_document());
  auto page = http_call(server.port(), "GET", "/api/docs");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").starts_with("text/html"));
  // Self-contained: the page loads nothing from another host.
  CHECK(page.body.find("/api/v1/openapi.json") != std::string::npos);
  CHECK(page.body.find("http://") == std::string::npos);
  CHECK(page.body.find("https://") == std::string::npos);
}
