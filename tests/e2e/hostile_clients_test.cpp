// What hostile clients do to a real server: each test runs a normal client beside the
// attack, checks that it was served throughout, and prints its latencies (not asserted:
// the machine is shared).

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/normal_client.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

/// The server's resident memory in MiB, from /proc.
double resident_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

double metric(std::uint16_t port, const std::string& series) {
  auto r = http_call(port, "GET", "/metrics");
  REQUIRE(r.status == 200);
  return sample(r.body, series);
}

}  // namespace

TEST_CASE("hostile: 50 clients that pipeline big lists and never read are cut in seconds",
          "[e2e][hostile]") {
  server_options opts;
  opts.environment["BATON_HTTP__MAX_BUFFERED_PER_CONNECTION"] = "64KiB";
  opts.environment["BATON_HTTP__MAX_BUFFERED_TOTAL"] = "2MiB";
  opts.environment["BATON_HTTP__DRAIN_TIMEOUT_MS"] = "1000";
  opts.environment["BATON_HTTP__WRITE_TIMEOUT_MS"] = "5000";
  baton_server server(opts);
  auto port = server.port();
  for (int i = 0; i < 150; ++i)
    start(port, R"({"definition":"OneStepNotepadRunner","values":{"username":"A","surname":")" +
                    std::string(200, 's') + R"("}})");
  auto answer = http_call(port, "GET", "/api/v1/processes?limit=1000");
  REQUIRE(answer.status == 200);
  auto before_mib = resident_mib(server.pid());

  normal_client normal(port, "/api/v1/processes?limit=5");
  std::string pipelined;
  for (int i = 0; i < 64; ++i)
    pipelined += "GET /api/v1/processes?limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<std::unique_ptr<raw_connection>> readers;
  for (int i = 0; i < 50; ++i) {
    readers.push_back(std::make_unique<raw_connection>(port));
    readers.back()->send(pipelined);
  }

  // Every one of them is cut within the drain and write allowances, long before the 60 s
  // idle timeout that used to be the only limit; meanwhile the buffered answers stay bounded.
  double peak_buffered = 0, peak_mib = before_mib;
  bool all_cut = eventually(
      [&] {
        peak_buffered = std::max(peak_buffered, metric(port, "baton_http_buffered_answer_bytes"));
        peak_mib = std::max(peak_mib, resident_mib(server.pid()));
        return metric(port, "baton_http_slow_readers_closed_total") >= 50;
      },
      30s);
  normal.stop();
  readers.clear();
  std::cout << "slow readers: answer " << answer.body.size() << " bytes, buffered answers peak "
            << peak_buffered / (1 << 20) << " MiB, RSS " << before_mib << " -> peak " << peak_mib
            << " -> after " << resident_mib(server.pid()) << " MiB\n"
            << normal.summary("50 slow readers") << std::endl;
  CHECK(all_cut);
  // The total cap plus, per connection, its own cap and the answer that crossed it (without
  // the caps: 16 answers per connection, the pipeline limit).
  CHECK(peak_buffered <
        2.0 * (1 << 20) + 50 * (64.0 * 1024 + 2.0 * static_cast<double>(answer.body.size())));
  CHECK(eventually([&] { return metric(port, "baton_http_buffered_answer_bytes") == 0; }, 10s));
  CHECK(normal.failed() == 0);
  CHECK(normal.answered() > 0);
  CHECK(server.stop() == 0);
}

TEST_CASE("hostile: connections beyond http.max_connections are refused at once",
          "[e2e][hostile]") {
  server_options opts;
  opts.environment["BATON_HTTP__MAX_CONNECTIONS"] = "60";
  baton_server server(opts);
  auto port = server.port();
  normal_client normal(port);
  std::vector<std::unique_ptr<raw_connection>> idle;
  for (int i = 0; i < 59; ++i) idle.push_back(std::make_unique<raw_connection>(port));
  // The count is taken when a connection's session starts: wait until a newcomer is refused.
  auto refused = [&] {
    raw_connection probe(port, 2s);
    auto r = probe.read_response();
    return r.status == 503;
  };
  REQUIRE(eventually(
      [&] {
        try {
          return refused();
        } catch (const std::exception&) {
          return false;  // accepted: it would be read, and never answered
        }
      },
      10s));

  int turned_away = 0;
  double slowest_ms = 0;
  for (int i = 0; i < 300; ++i) {
    auto began = std::chrono::steady_clock::now();
    raw_connection excess(port, 5s);
    auto r = excess.read_response();
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - began;
    slowest_ms = std::max(slowest_ms, took.count());
    if (r.status == 503 && r.header("retry-after") == "1" &&
        r.header("content-type") == "application/problem+json")
      ++turned_away;
  }
  normal.stop();
  idle.clear();
  std::cout << "max_connections: 300 excess refused, slowest refusal " << slowest_ms << " ms\n"
            << normal.summary("a full connection table") << std::endl;
  CHECK(turned_away == 300);
  CHECK(normal.failed() == 0);
  CHECK(normal.answered() > 0);
  // The table empties as the idle ones close, and the refusals were counted.
  REQUIRE(eventually(
      [&] {
        try {
          return http_call(port, "GET", "/healthz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      10s));
  CHECK(metric(port, "baton_http_connections_refused_total") >= 301);
  CHECK(server.output().find("refused") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("hostile: slowloris clients dripping header bytes are closed", "[e2e][hostile]") {
  server_options opts;
  opts.environment["BATON_HTTP__HEADER_TIMEOUT_MS"] = "1000";
  baton_server server(opts);
  auto port = server.port();
  normal_client normal(port);
  std::vector<std::unique_ptr<raw_connection>> drips;
  for (int i = 0; i < 200; ++i) drips.push_back(std::make_unique<raw_connection>(port, 3s));
  const std::string header =
      "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  // One byte per connection per round, every 50 ms: each header takes far longer than the
  // header deadline. A send that fails means the server closed that connection.
  std::vector<bool> cut(drips.size(), false);
  for (std::size_t round = 0; round < header.size(); ++round) {
    for (std::size_t i = 0; i < drips.size(); ++i) {
      if (cut[i]) continue;
      try {
        drips[i]->send(header.substr(round, 1));
      } catch (const std::exception&) {
        cut[i] = true;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  std::size_t closed_count = 0;
  for (auto& d : drips) {
    bool closed = false;
    d->read_until_closed(3s, &closed);
    if (closed) ++closed_count;
  }
  normal.stop();
  drips.clear();
  std::cout << normal.summary("200 slowloris connections") << std::endl;
  CHECK(closed_count == 200);
  CHECK(normal.failed() == 0);
  CHECK(normal.answered() > 0);
  CHECK(server.stop() == 0);
}

TEST_CASE("hostile: oversized, lying, deep and smuggling requests get 4xx problems",
          "[e2e][hostile]") {
  server_options opts;
  opts.environment["BATON_HTTP__BODY_LIMIT"] = "200000";
  opts.environment["BATON_HTTP__BODY_TIMEOUT_MS"] = "500";
  baton_server server(opts);
  auto port = server.port();
  normal_client normal(port, "/api/v1/processes?limit=5");
  auto exchange = [&](const std::string& bytes) {
    raw_connection c(port, 10s);
    c.send(bytes);
    return c.read_response();
  };
  auto is_problem = [](const test_response& r, int status) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/problem+json");
    CHECK(text(object_of(r), "detail").size() > 10);
  };
  const std::string post =
      "POST /api/v1/processes HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\n";

  {  // a body over the limit, announced by Content-Length
    auto body = std::string(300000, ' ');
    is_problem(exchange(post + "Content-Length: 300000\r\n\r\n" + body), 413);
  }
  {  // and one sent in chunks, with no length up front
    std::string chunks;
    for (int i = 0; i < 40; ++i) chunks += "2000\r\n" + std::string(0x2000, ' ') + "\r\n";
    is_problem(exchange(post + "Transfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n"), 413);
  }
  {  // a Content-Length that promises more than is sent: 408 after the body deadline
    auto began = std::chrono::steady_clock::now();
    auto r = exchange(post + "Content-Length: 1000\r\n\r\n{\"definition\":");
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - began;
    is_problem(r, 408);
    std::cout << "lying Content-Length answered 408 after " << took.count() << " ms\n";
  }
  {  // an expectation other than 100-continue
    is_problem(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 999-bogus\r\n\r\n"), 417);
  }
  {  // JSON nested 100,000 deep
    auto deep = std::string(100000, '[') + std::string(100000, ']');
    auto r = http_call(port, "POST", "/api/v1/processes", deep);
    is_problem(r, 400);
  }
  {  // Content-Length and Transfer-Encoding together (request smuggling): refused, and the
     // request hidden in the body is never run
    auto r =
        exchange(post +
                 "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                 "DELETE /api/v1/definitions/OneStepNotepadRunner HTTP/1.1\r\nHost: x\r\n\r\n");
    is_problem(r, 400);
    CHECK(http_call(port, "GET", "/api/v1/definitions/OneStepNotepadRunner").status == 200);
  }
  normal.stop();
  std::cout << normal.summary("oversized, lying, deep and smuggling requests") << std::endl;
  CHECK(normal.failed() == 0);
  CHECK(normal.answered() > 0);
  CHECK(server.stop() == 0);
}

TEST_CASE("hostile: long names, bad timers and path traversal get 400 or 404 naming the field",
          "[e2e][hostile]") {
  baton_server server;
  auto port = server.port();
  normal_client normal(port, "/api/v1/processes?limit=5");
  auto refused = [](const test_response& r, int status, const std::string& field) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/problem+json");
    if (!field.empty()) CHECK(r.body.find(field) != std::string::npos);
  };
  const std::string long_name(300, 'n');
  auto definition = [](const std::string& steps) {
    return R"({"outputs":[],"steps":)" + steps + "}";
  };

  // Names and ids in paths, of every resource.
  refused(deploy(port, long_name, definition(R"([{"id":"a","kind":"script"}])")), 400, "name");
  refused(http_call(port, "GET", "/api/v1/processes/" + long_name), 400, "id");
  refused(http_call(port, "GET", "/api/v1/definitions/" + long_name), 400, "name");
  refused(http_call(port, "GET", "/api/v1/schedules/" + long_name), 400, "id");
  // ... and in bodies.
  refused(
      deploy(port, "LongStep", definition(R"([{"id":")" + long_name + R"(","kind":"script"}])")),
      400, "/steps/0/id");
  refused(http_call(port, "POST", "/api/v1/processes",
                    R"({"definition":"OneStepNotepadRunner","scope":")" + long_name + R"("})"),
          400, "/scope");
  refused(
      http_call(port, "POST", "/api/v1/processes",
                R"({"definition":"OneStepNotepadRunner","idempotencyKey":")" + long_name + R"("})"),
      400, "/idempotencyKey");
  refused(http_call(port, "POST", "/api/v1/clients",
                    R"({"name":")" + long_name + R"(","role":"runner"})"),
          400, "/name");

  // Timers and durations out of range are refused at deploy, not when a process reaches them.
  refused(
      deploy(port, "Yesterday", definition(R"([{"id":"t","kind":"timer","until":"yesterday"}])")),
      400, "/steps/0/until");
  refused(deploy(port, "Forever",
                 definition(R"([{"id":"t","kind":"timer","duration":"PT99999999999999999H"}])")),
          400, "/steps/0/duration");
  refused(deploy(port, "Negative", definition(R"([{"id":"t","kind":"timer","duration":"-5s"}])")),
          400, "/steps/0/duration");

  // Path traversal: names are keys, never file paths; nothing outside is ever read.
  for (std::string target :
       {"/api/v1/definitions/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/processes/..%2F..%2Fetc%2Fpasswd", "/api/v1/definitions/../../etc/passwd",
        "/api/v1/schedules/%2E%2E%2Fdata"}) {
    auto r = http_call(port, "GET", target);
    INFO(target << " -> " << r.status << " " << r.body);
    CHECK((r.status == 400 || r.status == 404));
    CHECK(r.body.find("root:") == std::string::npos);
  }
  refused(deploy(port, "..%2Fevil", definition(R"([{"id":"a","kind":"script"}])")), 400, "name");
  CHECK(http_call(port, "GET", "/api/v1/definitions/..%2Fevil").status == 404);

  normal.stop();
  std::cout << normal.summary("long names, bad timers, traversal") << std::endl;
  CHECK(normal.failed() == 0);
  CHECK(normal.answered() > 0);
  CHECK(server.stop() == 0);
}
