// /metrics describes every family it shows: a `# HELP` line before each `# TYPE`, on a single
// server and on a cluster node (which adds the cluster's families).

#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/etcd_cluster.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// The families of `text` whose `# TYPE` line has no `# HELP` line just before it.
std::set<std::string> without_help(const std::string& text) {
  std::set<std::string> out;
  std::istringstream lines(text);
  std::string previous, line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ")) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      if (!previous.starts_with("# HELP " + name + " ")) out.insert(name);
    }
    previous = line;
  }
  return out;
}

std::size_t families(const std::string& text) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at) ++n;
  return n;
}

}  // namespace

TEST_CASE("every metric family has a HELP line", "[e2e]") {
  baton_server server;
  auto metrics = http_call(server.port(), "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(families(metrics.body) > 25);
  CHECK(without_help(metrics.body).empty());
}

TEST_CASE("every metric family of a cluster node has a HELP line", "[e2e][cluster]") {
  etcd_cluster etcd(1);
  server_options opts;
  opts.extra_args = {"--node", "solo", "--etcd", etcd.endpoints().front()};
  baton_server node(opts);
  auto metrics = http_call(node.port(), "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  REQUIRE(metrics.body.find("baton_cluster_") != std::string::npos);
  CHECK(without_help(metrics.body).empty());
}
