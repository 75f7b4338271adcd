#include "http/metrics.hpp"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace baton::http;
using namespace std::chrono_literals;

TEST_CASE("metrics merge every thread's counts", "[http][metrics]") {
  metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.record("/api/v1/processes/{id}", 200, 300us);
      m.record("/api/v1/processes/{id}", 404, 2ms);
    });
  for (auto& t : threads) t.join();
  m.record("unmatched", 404, 20s);

  auto text = m.render();
  CHECK(text.find("# TYPE baton_http_requests_total counter\n") != std::string::npos);
  CHECK(text.find("baton_http_requests_total{route=\"/api/v1/processes/{id}\",status=\"200\"} "
                  "4000\n") != std::string::npos);
  CHECK(text.find("baton_http_requests_total{route=\"/api/v1/processes/{id}\",status=\"404\"} "
                  "4\n") != std::string::npos);
  CHECK(text.find("baton_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE baton_http_request_duration_seconds histogram\n") != std::string::npos);
  // 300 µs lands in the 0.0005 bucket; buckets are cumulative.
  CHECK(text.find("baton_http_request_duration_seconds_bucket{route=\"/api/v1/processes/{id}\","
                  "le=\"0.00025\"} 0\n") != std::string::npos);
  CHECK(text.find("baton_http_request_duration_seconds_bucket{route=\"/api/v1/processes/{id}\","
                  "le=\"0.0005\"} 4000\n") != std::string::npos);
  CHECK(text.find("baton_http_request_duration_seconds_bucket{route=\"/api/v1/processes/{id}\","
                  "le=\"+Inf\"} 4004\n") != std::string::npos);
  CHECK(text.find("baton_http_request_duration_seconds_count{route=\"/api/v1/processes/{id}\"} "
                  "4004\n") != std::string::npos);
  CHECK(
      text.find("baton_http_request_duration_seconds_bucket{route=\"unmatched\",le=\"10\"} 0\n") !=
      std::string::npos);
  CHECK(text.find("baton_http_request_duration_seconds_sum{route=\"unmatched\"} 20\n") !=
        std::string::npos);
}

TEST_CASE("metrics escape labels and append collectors", "[http][metrics]") {
  metrics m;
  m.record("/odd\"route\\", 500, 1ms);
  m.add_collector([](std::string& out) {
    out += "# TYPE baton_processes_running gauge\nbaton_processes_running 3\n";
  });
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  auto text = m.render();
  CHECK(text.find("route=\"/odd\\\"route\\\\\",status=\"500\"") != std::string::npos);
  CHECK(text.find("baton_http_connections_open 1\n") != std::string::npos);
  CHECK(text.find("baton_http_connections_total 2\n") != std::string::npos);
  auto gauge = text.find("baton_processes_running 3\n");
  REQUIRE(gauge != std::string::npos);
  CHECK(gauge > text.find("baton_http_requests_total"));
}

TEST_CASE("metrics instances do not share counts", "[http][metrics]") {
  auto first = std::make_unique<metrics>();
  first->record("/a", 200, 1ms);
  first.reset();
  metrics second;
  second.record("/b", 200, 1ms);
  auto text = second.render();
  CHECK(text.find("route=\"/a\"") == std::string::npos);
  CHECK(text.find("baton_http_requests_total{route=\"/b\",status=\"200\"} 1\n") !=
        std::string::npos);
}
