#include "storage/check.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using model::process_status;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace {

model::process_state process(std::string id, process_status status, std::string scope = {}) {
  model::process_state p;
  p.id = std::move(id);
  p.definition = "Work";
  p.version = 1;
  p.scope = std::move(scope);
  p.status = status;
  p.created_ms = 1'700'000'000'000;
  return p;
}

/// A store as a server leaves it: processes in every state with their history, indexes,
/// a callback and its outbox entry, an idempotency key, a definition, a scope and a schedule.
void fill(storage::process_store& store) {
  storage::batch b;
  auto parsed =
      storage::parse_definition(R"({"name":"Work","steps":[{"id":"wait","kind":"external"}]})");
  REQUIRE(std::holds_alternative<model::definition>(parsed));
  auto def = std::get<model::definition>(parsed);
  def.version = 1;
  store.put_definition(b, def);
  store.put_retirement(b, "Work", {1'700'000'002'000, "ops"});
  auto queued = process("p1", process_status::waiting, "line");
  auto running = process("p2", process_status::running, "line");
  auto done = process("p3", process_status::succeeded);
  for (const auto* p : {&queued, &running, &done}) {
    store.put_process(b, *p, std::nullopt);
    store.put_history(b, p->id, {{1, 1'700'000'000'000, "started", "", ""}});
  }
  store.put_callback(b, "p2", {"http://hooks.test/cb", {}, "native"});
  store.put_outbox(b, "p2", 1, storage::encode_process(running));
  store.put_idempotent_answer(b, "key-1", "p3");
  b.put(
      storage::cf::scopes, "line",
      std::string(1, storage::format_v1) + R"({"limit":1,"rejectWhenBusy":false,"paused":false})");
  model::schedule s;
  s.id = "018bcfe56800000100000001";
  s.definition = "Work";
  s.cron = "* * * ? * *";
  s.time_zone = "UTC";
  s.runs.push_back({1'700'000'001'000, "p3", ""});
  REQUIRE(store.put_schedule(b, s).ok());
  REQUIRE(commit(store, std::move(b)).empty());
}

/// Opens the database of the store in `dir` as `baton db check` does.
std::unique_ptr<storage::db> reopen(const temp_dir& dir) {
  auto opened = storage::db::open(dir.str() + "/db", false);
  if (!opened.ok()) FAIL("cannot open: " << opened.error().describe());
  return std::move(opened).value();
}

std::vector<std::string> lines(const storage::check_report& r) {
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.to_string());
  return out;
}

bool has_line(const storage::check_report& r, const std::string& line) {
  auto all = lines(r);
  return std::find(all.begin(), all.end(), line) != all.end();
}

}  // namespace

TEST_CASE("check finds nothing wrong in a healthy store", "[storage][check]") {
  temp_dir dir;
  fill(*open_store(dir));
  auto database = reopen(dir);
  auto report = storage::check(*database);
  INFO(report.summary());
  for (const auto& line : lines(report)) UNSCOPED_INFO(line);
  CHECK(report.ok());
  CHECK(report.processes == 3);
  CHECK(report.active_processes == 2);
  CHECK(report.queued_processes == 1);
  CHECK(report.schedules == 1);
  CHECK(report.records[static_cast<std::size_t>(storage::cf::history)] == 3);
  CHECK(report.summary().ends_with("; no problems"));
}

TEST_CASE("check reports index entries that point at no process", "[storage][check]") {
  temp_dir dir;
  {
    auto store = open_store(dir);
    fill(*store);
    storage::batch b;
    b.put(storage::cf::indexes, "s/SUCCEEDED/ghost", {});
    b.put(storage::cf::indexes, "a/p3", {});  // p3 has ended: no marker may remain
    b.put(storage::cf::indexes, "z/what", {});
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto database = reopen(dir);
  auto report = storage::check(*database);
  CHECK_FALSE(report.ok());
  CHECK(report.problems.size() == 3);
  CHECK(has_line(report, "indexes s/SUCCEEDED/ghost: status entry of a process not stored"));
  CHECK(has_line(report, "indexes a/p3: active marker of a SUCCEEDED process"));
  CHECK(has_line(report, "indexes z/what: index entry of no known kind"));
  CHECK(report.summary().ends_with("; 3 problems"));
}

TEST_CASE("check reports a process that lost its index entries", "[storage][check]") {
  temp_dir dir;
  {
    auto store = open_store(dir);
    fill(*store);
    storage::batch b;
    b.erase(storage::cf::indexes, "s/SUCCEEDED/p3");
    b.erase(storage::cf::indexes, "a/p1");
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto database = reopen(dir);
  auto report = storage::check(*database);
  CHECK(report.problems.size() == 2);
  CHECK(has_line(report, "processes p3: SUCCEEDED process without its status entry"));
  CHECK(has_line(report, "processes p1: WAITING process without its active marker"));
}

TEST_CASE("check reports records that do not decode", "[storage][check]") {
  temp_dir dir;
  {
    auto store = open_store(dir);
    fill(*store);
    storage::batch b;
    b.put(storage::cf::processes, "p9", "\x01{not json");
    b.put(storage::cf::history, "p1/0000000000000002", std::string("\x01[{\"seq\":2", 10));
    b.put(storage::cf::definitions, "Broken/000000000001", "garbage");
    b.put(storage::cf::indexes, "c/p1", "\x01[]");
    b.put(storage::cf::schedules, "018bcfe56800000100000001/00000000000000ff", "\x02?");
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto database = reopen(dir);
  auto report = storage::check(*database);
  for (const auto& line : lines(report)) UNSCOPED_INFO(line);
  CHECK(report.problems.size() == 5);
  CHECK(has_line(report, "processes p9: process snapshot does not decode"));
  CHECK(has_line(report, "history p1/0000000000000002: history record does not decode"));
  CHECK(has_line(report, "definitions Broken/000000000001: definition does not decode"));
  CHECK(has_line(report, "indexes c/p1: callback target does not decode"));
  CHECK(has_line(
      report, "schedules 018bcfe56800000100000001/00000000000000ff: schedule run does not decode"));
}

TEST_CASE("check keeps its report bounded and shows keys printably", "[storage][check]") {
  temp_dir dir;
  {
    auto store = open_store(dir);
    storage::batch b;
    for (int i = 0; i < 5; ++i) b.put(storage::cf::indexes, "a/\xff" + std::to_string(i), {});
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto database = reopen(dir);
  auto report = storage::check(*database, 3);
  CHECK(report.problems.size() == 3);
  CHECK(report.more_problems == 2);
  CHECK(report.summary().ends_with("; 5 problems"));
  CHECK(report.problems.front().to_string() ==
        "indexes a/\\xff0: active marker of a process not stored");
}
