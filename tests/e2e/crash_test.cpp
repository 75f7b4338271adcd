#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

/// A script step, an external step, a script step that uses both.
constexpr std::string_view durable_definition = R"({
  "name": "Durable",
  "inputs": {"n": "long"},
  "outputs": ["out"],
  "steps": [
    {"id": "prepare", "kind": "script", "set": {"a": "item ${n}"}},
    {"id": "approve", "kind": "external", "params": {"ok": "long"}},
    {"id": "finish", "kind": "script", "set": {"out": "${a} ok ${ok}"}}
  ]})";

constexpr std::string_view nap_definition = R"({
  "name": "Nap", "outputs": ["done"],
  "steps": [{"id": "nap", "kind": "timer", "duration": "300ms"},
            {"id": "after", "kind": "script", "set": {"done": "yes"}}]})";

constexpr std::string_view long_nap_definition = R"({
  "name": "LongNap", "outputs": ["done"],
  "steps": [{"id": "nap", "kind": "timer", "duration": "1200ms"},
            {"id": "after", "kind": "script", "set": {"done": "yes"}}]})";

constexpr int process_count = 300;
constexpr int thread_count = 4;

/// Runs `work(i)` for i in [0, count) on `thread_count` threads, each taking the next index,
/// until `work` returns false (the server is gone) or every index is done. Kills the server
/// with SIGKILL once `kill_after` calls have succeeded. @returns the succeeded indexes.
std::set<int> run_and_crash(baton_server& server, int count, int kill_after,
                            const std::function<bool(int)>& work) {
  std::atomic<int> next{0}, succeeded{0};
  std::mutex mutex;
  std::set<int> done;
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        int i = next++;
        if (i >= count) return;
        bool ok = false;
        try {
          ok = work(i);
        } catch (const std::exception&) {
          ok = false;  // the connection broke: the server is down
        }
        if (!ok) return;
        {
          std::lock_guard lock(mutex);
          done.insert(i);
        }
        ++succeeded;
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (succeeded < kill_after && next < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  server.kill9();
  for (auto& t : threads) t.join();
  return done;
}

std::string step_field(const json::object& process, std::size_t index, std::string_view key) {
  const auto& steps = process.at("steps").as_array();
  if (index >= steps.size()) return "<none>";
  return text(steps[index].as_object(), key);
}

/// A process that started and waits at its external step, with nothing run twice.
void check_waiting(const json::object& p, std::int64_t n) {
  INFO(json::serialize(p));
  CHECK(text(p, "status") == "RUNNING");
  CHECK(p.at("values").as_object().at("n").to_number<std::int64_t>() == n);
  CHECK(p.at("steps").as_array().size() == 2);
  CHECK(step_field(p, 0, "step") == "prepare");
  CHECK(step_field(p, 0, "status") == "COMPLETED");
  CHECK(step_field(p, 1, "step") == "approve");
  CHECK(step_field(p, 1, "status") == "STARTED");
}

/// A finished process: every step exactly once, and the history agrees.
void check_succeeded(std::uint16_t port, const std::string& id, std::int64_t n) {
  auto p = get_process(port, id);
  INFO(json::serialize(p));
  REQUIRE(text(p, "status") == "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "out") ==
        "item " + std::to_string(n) + " ok " + std::to_string(n));
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 3);
  const char* names[] = {"prepare", "approve", "finish"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& s = steps[i].as_object();
    CHECK(text(s, "step") == names[i]);
    CHECK(text(s, "status") == "COMPLETED");
    CHECK(s.at("attempt").as_int64() == 1);
    CHECK(text(s, "processStepId") == id + "-" + std::to_string(i + 1));
  }
  std::map<std::string, int> types;
  std::map<std::string, int> started_per_step;
  std::int64_t seq = 0;
  for (const auto& h : history(port, id)) {
    const auto& e = h.as_object();
    CHECK(e.at("seq").as_int64() == ++seq);  // no gap, no repeat
    auto type = text(e, "type");
    ++types[type];
    if (type == "step_started") ++started_per_step[text(e, "processStepId")];
  }
  CHECK(types["process_started"] == 1);
  CHECK(types["step_started"] == 3);
  CHECK(types["step_completed"] == 3);
  CHECK(types["process_succeeded"] == 1);
  CHECK(types["step_failed"] == 0);
  for (const auto& [step, times] : started_per_step) {
    INFO(step);
    CHECK(times == 1);
  }
}

}  // namespace

TEST_CASE("kill -9 loses no acknowledged start or completion, and runs nothing twice",
          "[e2e][crash]") {
  definitions_folder defs;
  defs.add("Durable", durable_definition);
  server_options opts;
  opts.definitions = defs.path();
  baton_server server(opts);

  // ---- starts, killed mid-way ----
  std::vector<std::string> ids(process_count);
  auto port = server.port();
  auto started = run_and_crash(server, process_count, process_count / 2, [&](int i) {
    auto r = http_call(port, "POST", "/api/v1/processes",
                       R"({"definition":"Durable","values":{"n":)" + std::to_string(i) + "}}");
    if (r.status != 201) return false;
    ids[i] = text(parse(r.body).as_object(), "id");
    return !ids[i].empty();
  });
  INFO(started.size() << " starts acknowledged before the kill");
  REQUIRE(started.size() >= process_count / 2);
  CHECK(started.size() < static_cast<std::size_t>(process_count));  // it was mid-way

  port = restart(server);
  for (int i : started) check_waiting(get_process(port, ids[i]), i);

  // Starts in flight at the kill may or may not have been kept; those kept are whole.
  std::map<std::string, std::int64_t> all;  // id → n
  {
    auto r = http_call(port, "GET", "/api/v1/processes?definition=Durable&limit=1000");
    REQUIRE(r.status == 200);
    auto page = object_of(r);
    CHECK(page.at("next").is_null());
    for (const auto& item : page.at("items").as_array()) {
      const auto& p = item.as_object();
      auto n = p.at("values").as_object().at("n").to_number<std::int64_t>();
      all[text(p, "id")] = n;
      check_waiting(p, n);
    }
  }
  for (int i : started) CHECK(all.count(ids[i]) == 1);
  CHECK(all.size() <= started.size() + thread_count);

  // ---- completions, killed mid-way ----
  std::vector<std::pair<std::string, std::int64_t>> todo(all.begin(), all.end());
  auto completed = run_and_crash(
      server, static_cast<int>(todo.size()), static_cast<int>(todo.size()) / 2, [&](int i) {
        auto n = std::to_string(todo[i].second);
        auto r = complete_step(port, todo[i].first + "-2",
                               R"({"ok":{"longValue":)" + n + R"(,"type":"LONG"}})");
        return r.status == 200;
      });
  INFO(completed.size() << " of " << todo.size() << " completions acknowledged before the kill");
  CHECK(completed.size() < todo.size());

  port = restart(server);
  for (int i : completed) check_succeeded(port, todo[i].first, todo[i].second);

  // The rest are either still waiting or were completed just before the kill.
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (completed.count(static_cast<int>(i))) continue;
    auto p = get_process(port, todo[i].first);
    if (text(p, "status") == "SUCCEEDED") continue;
    check_waiting(p, todo[i].second);
    auto r = complete_step(
        port, todo[i].first + "-2",
        R"({"ok":{"longValue":)" + std::to_string(todo[i].second) + R"(,"type":"LONG"}})");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  for (const auto& [id, n] : todo) check_succeeded(port, id, n);
  // Completing again after the restart is refused: nothing runs twice.
  auto again =
      complete_step(port, todo.front().first + "-2", R"({"ok":{"longValue":1,"type":"LONG"}})");
  CHECK(again.status == 412);
}

TEST_CASE("a timer survives kill -9 and fires after the restart, not before its time",
          "[e2e][crash]") {
  definitions_folder defs;
  defs.add("Nap", nap_definition);
  defs.add("LongNap", long_nap_definition);
  server_options opts;
  opts.definitions = defs.path();
  baton_server server(opts);
  auto port = server.port();

  auto due_during_outage = start(port, R"({"definition":"Nap"})");
  auto due_after_restart = start(port, R"({"definition":"LongNap"})");
  server.kill9();
  std::this_thread::sleep_for(400ms);  // the short timer falls due while the server is down
  port = restart(server);

  auto nap = wait_for_status(port, due_during_outage, "SUCCEEDED", 5s);
  REQUIRE(text(nap, "status") == "SUCCEEDED");
  CHECK(text(nap.at("outputs").as_object(), "done") == "yes");

  auto long_nap = get_process(port, due_after_restart);
  auto created = long_nap.at("createdMs").as_int64();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (now_ms < created + 1100) CHECK(text(long_nap, "status") == "RUNNING");
  long_nap = wait_for_status(port, due_after_restart, "SUCCEEDED", 5s);
  REQUIRE(text(long_nap, "status") == "SUCCEEDED");
  // It fired at its own due time, not at once on recovery.
  CHECK(long_nap.at("updatedMs").as_int64() - created >= 1200);

  for (const auto& id : {due_during_outage, due_after_restart}) {
    auto p = get_process(port, id);
    const auto& steps = p.at("steps").as_array();
    REQUIRE(steps.size() == 2);
    CHECK(step_field(p, 0, "step") == "nap");
    CHECK(step_field(p, 0, "status") == "COMPLETED");
    CHECK(step_field(p, 1, "status") == "COMPLETED");
    int fired = 0;
    for (const auto& h : history(port, id)) {
      fired += text(h.as_object(), "type") == "step_completed" &&
               text(h.as_object(), "processStepId") == id + "-1";
    }
    CHECK(fired == 1);
  }
}
