// Job steps over HTTP, against the real binary: workers activate (a long poll), complete or
// fail under their lease, and leases survive kill -9.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

/// A job for a pricing worker, then a script that uses its result. Expired leases and
/// failures are retried up to 3 times, offered again at once.
constexpr std::string_view pricing_definition = R"({
  "name": "Pricing",
  "inputs": {"item": "string"},
  "outputs": ["quote"],
  "steps": [
    {"id": "price", "kind": "job", "type": "pricing", "params": {"price": "double"},
     "timeoutMs": 600000, "retry": {"count": 3, "backoff": "fixed", "initialMs": 0, "maxMs": 0}},
    {"id": "quote", "kind": "script", "set": {"quote": "${item} costs ${price}"}}
  ]})";

struct server_with_pricing {
  baton_server server;
  std::uint16_t port;
  server_with_pricing() : port(server.port()) {
    REQUIRE(deploy(port, "Pricing", pricing_definition).status / 100 == 2);
  }
  std::string start_one(const std::string& item) {
    return start(port, R"({"definition":"Pricing","values":{"item":")" + item + "\"}}");
  }
};

/// POST /api/v1/jobs/activate; REQUIREs 200 and @returns its jobs.
json::array activate(std::uint16_t port, std::string_view worker, int max, int lease_ms,
                     int wait_ms, std::string_view type = "pricing") {
  auto r =
      http_call(port, "POST", "/api/v1/jobs/activate",
                R"({"type":")" + std::string(type) + R"(","worker":")" + std::string(worker) +
                    R"(","max":)" + std::to_string(max) + R"(,"leaseMs":)" +
                    std::to_string(lease_ms) + R"(,"waitMs":)" + std::to_string(wait_ms) + "}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r).at("jobs").as_array();
}

test_response complete_job(std::uint16_t port, const std::string& key, const std::string& token,
                           std::string_view params = R"({"price": 12.5})") {
  return http_call(port, "POST", "/api/v1/jobs/" + key + "/complete",
                   R"({"leaseToken":")" + token + R"(","params":)" + std::string(params) + "}");
}

std::string token_of(const json::value& job) {
  return text(job.as_object().at("lease").as_object(), "token");
}

/// For worker threads, where Catch's macros must not run: the jobs of one activation as
/// (key, token), or nullopt when the call failed.
std::optional<std::vector<std::pair<std::string, std::string>>> try_activate(
    std::uint16_t port, const std::string& worker, int max, int wait_ms) {
  try {
    auto r =
        http_call(port, "POST", "/api/v1/jobs/activate",
                  R"({"type":"pricing","worker":")" + worker + R"(","max":)" + std::to_string(max) +
                      R"(,"leaseMs":60000,"waitMs":)" + std::to_string(wait_ms) + "}");
    if (r.status != 200) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> out;
    auto answer = parse(r.body);  // held: the loop below reads into it
    for (const auto& j : answer.as_object().at("jobs").as_array()) {
      out.emplace_back(text(j.as_object(), "key"), token_of(j));
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// Activates until `want` jobs came (each activation a long poll), or 20 s passed.
json::array activate_all(std::uint16_t port, std::size_t want, int lease_ms = 60'000) {
  json::array got;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto left = static_cast<int>(want - got.size());
    for (auto& j : activate(port, "collector", left, lease_ms, 2000)) got.push_back(j);
  }
  return got;
}

}  // namespace

TEST_CASE("a worker activates a job, and its completion moves the process on", "[e2e][jobs]") {
  server_with_pricing s;
  auto id = s.start_one("tea");
  auto jobs = activate(s.port, "w1", 10, 30'000, 5000);
  REQUIRE(jobs.size() == 1);
  const auto& job = jobs[0].as_object();
  INFO(json::serialize(job));
  CHECK(text(job, "key") == id + "-1");
  CHECK(text(job, "processStepId") == id + "-1");
  CHECK(text(job, "processId") == id);
  CHECK(text(job, "type") == "pricing");
  CHECK(text(job, "definition") == "Pricing");
  CHECK(text(job.at("values").as_object(), "item") == "tea");
  CHECK(text(job.at("params").as_object(), "price") == "double");
  CHECK(job.at("attempt").as_int64() == 1);
  CHECK(is_iso_utc_ms(text(job.at("lease").as_object(), "expiresAt")));
  auto token = token_of(jobs[0]);
  REQUIRE(token.size() == 32);

  // Leased: nobody else gets it.
  CHECK(activate(s.port, "w2", 10, 30'000, 0).empty());
  auto leased_process = get_process(s.port, id);
  CHECK(text(leased_process.at("lease").as_object(), "worker") == "w1");
  CHECK(leased_process.at("lease").as_object().count("token") == 0);
  // The board counts the lease when the process tells it, just after the lease is written
  // and answered: the gauges follow within moments.
  std::string metrics;
  CHECK(eventually([&] {
    metrics = http_call(s.port, "GET", "/metrics").body;
    return sample(metrics, R"(baton_jobs{type="pricing",state="leased"})") == 1;
  }));
  CHECK(sample(metrics, R"(baton_jobs{type="pricing",state="waiting"})") == 0);
  CHECK(sample(metrics, "baton_jobs_activated_total") == 1);
  auto listed = http_call(s.port, "GET", "/api/v1/jobs?type=pricing&state=LEASED");
  REQUIRE(listed.status == 200);
  auto rows = object_of(listed).at("jobs").as_array();
  REQUIRE(rows.size() == 1);
  CHECK(text(rows[0].as_object(), "worker") == "w1");
  CHECK(text(rows[0].as_object(), "state") == "LEASED");

  // A wrong token is a conflict; a missing or mistyped param is named.
  auto wrong = complete_job(s.port, text(job, "key"), std::string(32, '0'));
  CHECK(wrong.status == 409);
  auto missing = complete_job(s.port, text(job, "key"), token, "{}");
  CHECK(missing.status == 412);
  CHECK(text(object_of(missing), "field") == "price");
  auto mistyped = complete_job(s.port, text(job, "key"), token, R"({"price":"cheap"})");
  CHECK(mistyped.status == 412);
  CHECK(text(object_of(mistyped), "field") == "price");

  // The vendor's typed form is accepted too.
  auto done = complete_job(s.port, text(job, "key"), token,
                           R"({"price":{"doubleValue":12.5,"type":"DOUBLE"}})");
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(text(object_of(done), "stepStatus") == "COMPLETED");
  auto p = wait_for_status(s.port, id, "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "quote") == "tea costs 12.5");
  // Completing again: the lease is gone with the job.
  CHECK(complete_job(s.port, text(job, "key"), token).status == 409);
  CHECK(object_of(http_call(s.port, "GET", "/api/v1/jobs")).at("jobs").as_array().empty());
}

TEST_CASE("a long poll answers as soon as a job appears", "[e2e][jobs]") {
  server_with_pricing s;
  json::array got;
  std::thread worker([&] { got = activate(s.port, "poller", 1, 30'000, 20'000); });
  // Whether the poll is parked before the start or not, it gets the job, and long before
  // its 20 s are up.
  auto began = std::chrono::steady_clock::now();
  auto id = s.start_one("coffee");
  worker.join();
  REQUIRE(got.size() == 1);
  CHECK(text(got[0].as_object(), "processId") == id);
  CHECK(std::chrono::steady_clock::now() - began < 15s);
  // With nothing waiting and no wait, the answer is empty at once.
  CHECK(activate(s.port, "poller", 1, 30'000, 0).empty());
}

TEST_CASE("a job handed to a long poll whose worker has gone waits again, its attempt unused",
          "[e2e][jobs]") {
  server_with_pricing s;
  auto parked = [&] {
    auto metrics = http_call(s.port, "GET", "/metrics").body;
    return sample(metrics, "baton_job_polls_parked");
  };
  {
    raw_connection ghost(s.port);
    std::string body = R"({"type":"pricing","worker":"ghost","max":1,"leaseMs":600000,)"
                       R"("waitMs":60000})";
    ghost.send(
        "POST /api/v1/jobs/activate HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (parked() < 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    REQUIRE(parked() == 1);
  }  // the worker goes: its connection closes with the poll still parked

  auto id = s.start_one("tea");
  // The job reaches the ghost's poll, is leased, and is let go again at once.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  json::array events;
  auto released = [&] {
    events = history(s.port, id);
    return std::any_of(events.begin(), events.end(), [](const json::value& e) {
      return text(e.as_object(), "type") == "job_released";
    });
  };
  while (!released() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(released());
  // A live worker gets it on its first attempt, long before the ghost's 10-minute lease ends.
  auto got = activate(s.port, "alive", 1, 30'000, 10'000);
  REQUIRE(got.size() == 1);
  CHECK(text(got[0].as_object(), "processId") == id);
  CHECK(got[0].as_object().at("attempt").to_number<int>() == 1);
  CHECK(parked() == 0);
}

TEST_CASE("an expired lease offers the job again, and its old token is stale", "[e2e][jobs]") {
  server_with_pricing s;
  auto id = s.start_one("milk");
  auto first = activate(s.port, "slow", 1, 300, 5000);
  REQUIRE(first.size() == 1);
  auto old_token = token_of(first[0]);
  // Offered again once the lease ends: this poll waits for that.
  auto again = activate(s.port, "fast", 1, 30'000, 10'000);
  REQUIRE(again.size() == 1);
  CHECK(text(again[0].as_object(), "key") == id + "-1");
  CHECK(again[0].as_object().at("attempt").as_int64() == 2);
  auto stale = complete_job(s.port, id + "-1", old_token);
  CHECK(stale.status == 409);
  CHECK(text(object_of(stale), "field") == "leaseToken");
  REQUIRE(complete_job(s.port, id + "-1", token_of(again[0])).status == 200);
  wait_for_status(s.port, id, "SUCCEEDED");
  auto metrics = http_call(s.port, "GET", "/metrics").body;
  CHECK(sample(metrics, "baton_job_lease_expiries_total") >= 1);
}

TEST_CASE("a failed job is retried, extended leases hold, and exhaustion fails the process",
          "[e2e][jobs]") {
  server_with_pricing s;
  auto id = s.start_one("bread");
  auto key = id + "-1";
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto jobs = activate(s.port, "w", 1, 30'000, 10'000);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].as_object().at("attempt").as_int64() == attempt);
    auto token = token_of(jobs[0]);
    auto extended = http_call(s.port, "POST", "/api/v1/jobs/" + key + "/extend",
                              R"({"leaseToken":")" + token + R"(","leaseMs":60000})");
    INFO(extended.body);
    CHECK(extended.status == 200);
    auto failed =
        http_call(s.port, "POST", "/api/v1/jobs/" + key + "/fail",
                  R"({"leaseToken":")" + token + R"(","error":"no price","retryInMs":0})");
    INFO(failed.body);
    CHECK(failed.status == 200);
  }
  auto p = wait_for_status(s.port, id, "FAILED");
  CHECK(text(p, "error").find("no price") != std::string::npos);
}

TEST_CASE("8 workers complete 1000 jobs and each is completed exactly once", "[e2e][jobs]") {
  server_with_pricing s;
  constexpr int count = 1000;
  // Started on 4 threads; Catch's macros run on this one only.
  std::vector<int> start_status(count, 0);
  {
    std::atomic<int> next{0};
    std::vector<std::thread> starters;
    for (int t = 0; t < 4; ++t) {
      starters.emplace_back([&] {
        for (int i = next++; i < count; i = next++) {
          try {
            start_status[i] = http_call(s.port, "POST", "/api/v1/processes",
                                        R"({"definition":"Pricing","values":{"item":"x"}})")
                                  .status;
          } catch (const std::exception&) {
            start_status[i] = -1;
          }
        }
      });
    }
    for (auto& t : starters) t.join();
  }
  for (int st : start_status) REQUIRE(st == 201);
  std::mutex mutex;
  std::map<std::string, int> completed;  ///< key → times a completion was acknowledged
  std::atomic<int> done{0}, refused{0}, broken{0};
  std::vector<std::thread> workers;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      auto name = "worker-" + std::to_string(w);
      while (done < count && std::chrono::steady_clock::now() < deadline) {
        auto jobs = try_activate(s.port, name, 16, 500);
        if (!jobs) {
          ++broken;
          return;
        }
        for (const auto& [key, token] : *jobs) {
          int status = 0;
          try {
            status = http_call(s.port, "POST", "/api/v1/jobs/" + key + "/complete",
                               R"({"leaseToken":")" + token + R"(","params":{"price":1}})")
                         .status;
          } catch (const std::exception&) {
            ++broken;
            return;
          }
          if (status != 200) {
            ++refused;
            continue;
          }
          std::lock_guard lock(mutex);
          ++completed[key];
          ++done;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  CHECK(broken == 0);
  CHECK(refused == 0);
  REQUIRE(completed.size() == count);
  for (const auto& [key, times] : completed) {
    INFO(key);
    CHECK(times == 1);
  }
  int checked = 0;
  for (const auto& [key, times] : completed) {
    if (checked++ % 97 == 0) wait_for_status(s.port, key.substr(0, key.rfind('-')), "SUCCEEDED");
  }
  CHECK(activate(s.port, "late", 10, 1000, 0).empty());
}

TEST_CASE("after kill -9 completed jobs stay done and leased ones are offered again",
          "[e2e][jobs]") {
  server_with_pricing s;
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(s.start_one("thing" + std::to_string(i)));
  auto leased = activate_all(s.port, 8, 1500);
  REQUIRE(leased.size() == 8);
  std::set<std::string> completed, held;
  for (std::size_t i = 0; i < leased.size(); ++i) {
    auto key = text(leased[i].as_object(), "key");
    if (i < 4) {
      REQUIRE(complete_job(s.port, key, token_of(leased[i])).status == 200);
      completed.insert(key);
    } else {
      held.insert(key);
    }
  }
  s.server.kill9();
  s.port = restart(s.server);
  // Every job not completed is offered again: the 4 never leased at once, the 4 held when
  // their leases end (on attempt 2).
  auto offered = activate_all(s.port, 8);
  REQUIRE(offered.size() == 8);
  for (const auto& j : offered) {
    auto key = text(j.as_object(), "key");
    INFO(key);
    CHECK_FALSE(completed.count(key));
    CHECK(j.as_object().at("attempt").as_int64() == (held.count(key) ? 2 : 1));
    CHECK(complete_job(s.port, key, token_of(j)).status == 200);
  }
  for (const auto& id : ids) wait_for_status(s.port, id, "SUCCEEDED");
  for (const auto& key : completed) {
    auto id = key.substr(0, key.rfind('-'));
    auto p = get_process(s.port, id);
    CHECK(p.at("steps").as_array()[0].as_object().at("attempt").as_int64() == 1);
  }
}

TEST_CASE("the scheduler connector's worker field routes a process' jobs to that type",
          "[e2e][jobs]") {
  server_with_pricing s;
  auto r = http_call(s.port, "POST", "/scheduler/connector-api/process/start",
                     R"({"name":"Pricing","values":{"item":"bolt"},"worker":"robot-7"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto id = text(object_of(r), "robustaSpid");
  CHECK(activate(s.port, "w", 10, 30'000, 0, "pricing").empty());
  auto jobs = activate(s.port, "robot", 10, 30'000, 0, "robot-7");
  REQUIRE(jobs.size() == 1);
  CHECK(text(jobs[0].as_object(), "processId") == id);
  CHECK(text(jobs[0].as_object(), "type") == "robot-7");
  REQUIRE(complete_job(s.port, text(jobs[0].as_object(), "key"), token_of(jobs[0])).status == 200);
  wait_for_status(s.port, id, "SUCCEEDED");
}
