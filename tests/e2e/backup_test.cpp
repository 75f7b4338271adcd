#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/db.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view work_definition =
    R"({"name":"BackupWork","steps":[{"id":"work","kind":"external"}]})";

/// Starts processes from a thread of its own until stopped or `max` are started, recording
/// every id the server acknowledged (201), in the order acknowledged.
class start_loop {
 public:
  start_loop(std::uint16_t port, int max) : thread_([this, port, max] { run(port, max); }) {}
  ~start_loop() { stop(); }

  /// Waits (30 s at most) until `n` starts were acknowledged. @returns the ids so far.
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 30s, [&] { return ids_.size() >= n || done_; });
    return ids_;
  }
  /// Every id acknowledged so far.
  std::vector<std::string> acknowledged() {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  /// Stops the loop. @returns every id acknowledged.
  std::vector<std::string> stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    return ids_;
  }
  /// Answers that were not 201 (Catch2 assertions are not thread-safe: the test checks this).
  int refused() const { return refused_; }

 private:
  void run(std::uint16_t port, int max) {
    for (int i = 0; i < max && !stopping_; ++i) {
      // Processes that stay (waiting for a step, some queued in a scope) and ones that end.
      std::string body =
          i % 3 == 0 ? R"({"definition":"BackupWork","scope":"line"})"
          : i % 3 == 1
              ? R"({"definition":"BackupWork"})"
              : R"({"definition":"OneStepNotepadRunner","values":{"username":"a","surname":"b"}})";
      test_response r;
      try {
        r = http_call(port, "POST", "/api/v1/processes", body);
      } catch (const std::exception&) {
        ++refused_;
        continue;
      }
      if (r.status != 201) {
        ++refused_;
        continue;
      }
      auto id = text(object_of(r), "id");
      std::lock_guard lock(mutex_);
      ids_.push_back(id);
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> ids_;
  bool done_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "a backup taken under load restores to a consistent store with every acknowledged "
    "process",
    "[e2e][backup]") {
  definitions_folder defs;
  defs.add("BackupWork", work_definition);
  defs.add("OneStepNotepadRunner",
           R"({"name":"OneStepNotepadRunner","inputs":{"username":"string","surname":"string"},
               "outputs":["x"],"steps":[{"id":"compose","kind":"script",
               "set":{"x":"${username} ${surname}"}}]})");
  server_options opts;
  opts.definitions = defs.path();
  baton_server server(opts);
  temp_dir backups;
  auto to = (backups.path() / "mid-load").string();

  std::vector<std::string> before;
  test_response taken;
  std::vector<std::string> all;
  {
    start_loop load(server.port(), 3000);
    load.wait_for(60);
    // Every start acknowledged before the request goes out must be in the backup; those
    // acknowledged while it runs may or may not be.
    before = load.acknowledged();
    taken = http_call(server.port(), "POST", "/api/v1/admin/backup", R"({"to":")" + to + R"("})");
    all = load.stop();
    CHECK(load.refused() == 0);
  }
  INFO(taken.body);
  REQUIRE(taken.status == 201);
  REQUIRE(before.size() >= 60);
  auto answer = object_of(taken);
  CHECK(text(answer, "to") == to);
  CHECK(answer.at("sequence").as_int64() > 0);
  CHECK(answer.at("files").as_int64() > 0);
  CHECK(answer.at("bytes").as_int64() > 0);

  // A fresh server's folder, emptied, is where the backup is restored: the server then
  // starts on exactly the restored data.
  baton_server restored(opts);
  restored.stop();
  auto data = restored.data_dir() / "data";
  std::filesystem::remove_all(data);
  auto restore = run_baton({"db", "restore", "--from", to, "--data", data.string()});
  INFO(restore.output);
  REQUIRE(restore.exit_code == 0);
  auto check = run_baton({"db", "check", "--data", data.string()});
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("no problems") != std::string::npos);
  // Restoring over a folder in use is refused.
  CHECK(run_baton({"db", "restore", "--from", to, "--data", data.string()}).exit_code == 2);

  restored.start();
  std::size_t missing = 0;
  for (const auto& id : before) {
    if (http_call(restored.port(), "GET", "/api/v1/processes/" + id).status != 200) ++missing;
  }
  CHECK(missing == 0);
  // The restored server runs: a process waiting in the backup can still be completed.
  auto waiting = get_process(restored.port(), before.front());  // BackupWork in "line"
  CHECK(text(waiting, "status") == "RUNNING");
  CHECK(complete_step(restored.port(), last_step_id(waiting)).status == 200);
  CHECK(text(wait_for_status(restored.port(), before.front(), "SUCCEEDED"), "status") ==
        "SUCCEEDED");
  // The original server kept serving through the backup and still has everything.
  CHECK(all.size() >= before.size());
  CHECK(http_call(server.port(), "GET", "/api/v1/processes/" + all.back()).status == 200);
}

TEST_CASE("a backup needs an admin and a new or empty absolute folder outside the data",
          "[e2e][backup]") {
  server_options opts;
  opts.environment["BATON_AUTH__REQUIRED"] = "true";
  baton_server server(opts);
  auto port = server.port();
  auto admin = key_header(admin_key(server));
  auto op = create_client(port, admin_key(server), "ops", "operator");
  temp_dir backups;
  auto to = (backups.path() / "b1").string();
  auto body = R"({"to":")" + to + R"("})";

  CHECK(http_call(port, "POST", "/api/v1/admin/backup", body).status == 401);
  auto refused = http_call(port, "POST", "/api/v1/admin/backup", body, key_header(op.api_key));
  CHECK(refused.status == 403);
  CHECK_FALSE(std::filesystem::exists(to));

  auto expect_bad_to = [&](const std::string& request_body) {
    auto r = http_call(port, "POST", "/api/v1/admin/backup", request_body, admin);
    INFO(request_body << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.header("content-type") == "application/problem+json");
    CHECK(text(object_of(r), "field") == "/to");
  };
  expect_bad_to(R"({})");
  expect_bad_to(R"({"to":42})");
  expect_bad_to(R"({"to":"relative/folder"})");
  expect_bad_to(R"({"to":")" + (server.data_dir() / "data" / "copy").string() + R"("})");
  std::ofstream(backups.path() / "file") << "x";
  expect_bad_to(R"({"to":")" + backups.path().string() + R"("})");

  auto taken = http_call(port, "POST", "/api/v1/admin/backup", body, admin);
  INFO(taken.body);
  CHECK(taken.status == 201);
  expect_bad_to(body);  // now it is not empty
  // Checked once restored: opening a store writes to it, and a backup stays as taken.
  auto data = (backups.path() / "restored").string();
  CHECK(run_baton({"db", "restore", "--from", to, "--data", data}).exit_code == 0);
  CHECK(run_baton({"db", "check", "--data", data}).exit_code == 0);
  {
    auto opened = baton::storage::db::open(data + "/db", false);
    REQUIRE(opened.ok());
    baton::storage::batch b;
    b.put(baton::storage::cf::indexes, "s/FAILED/nobody", {});
    CHECK(opened.value()->write(b).ok());
  }
  auto damaged = run_baton({"db", "check", "--data", data});
  CHECK(damaged.exit_code == 1);
  CHECK(damaged.output.find("indexes s/FAILED/nobody: status entry of a process not stored\n") !=
        std::string::npos);
}
