// A data folder written by the release that stored snapshots, history and callback targets as
// JSON (format_v1) opens and reads through the binary-format code; records are rewritten in
// the binary format only when they change.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/check.hpp"
#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using namespace baton::testing;
using model::process_status;
using model::value;

namespace {

const std::string running_id = "0000000003e8000100000001";
const std::string done_id = "0000000003e8000100000002";

/// The bytes the JSON release stored: format byte + the document, exactly as it wrote them.
std::string v1(std::string json) { return storage::format_v1 + json; }

const std::string running_json =
    R"({"id":"0000000003e8000100000001","definition":"Def","version":2,"scope":"s",)"
    R"("status":"RUNNING","values":{"b":true,"i":-7,"j":{"a":[1,{"b":null}]},"n":2.5,)"
    R"("s":"x\"y","z":null},"outputs":{},"steps":[{"processStepId":"0000000003e8000100000001-1",)"
    R"("step":"ask","kind":"external","status":"STARTED","attempt":2,"createdMs":1000,)"
    R"("modifiedMs":1500,"dueMs":9000,"retryPending":true,"error":"late","params":{"p":"v"}}],)"
    R"("retryCount":3,"createdMs":1000,"updatedMs":1500,"scenarioId":"happy","sandbox":true,)"
    R"("worker":"w","scheduleId":"sch","callbackUrl":"http://127.0.0.1:9/cb","historySeq":4})";
const std::string done_json =
    R"({"id":"0000000003e8000100000002","definition":"Def","version":1,"status":"FAILED",)"
    R"("values":{},"outputs":{"x":"out"},"steps":[],"error":"boom","createdMs":2000,)"
    R"("updatedMs":2100,"historySeq":2})";

/// Writes a store as the JSON release left it: two processes with their indexes, history as
/// one record per entry and as one record per transition, a callback target and an outbox entry.
void write_legacy_store(const temp_dir& dir) {
  auto store = open_store(dir);
  storage::batch b;
  b.put(storage::cf::processes, running_id, v1(running_json));
  b.put(storage::cf::processes, done_id, v1(done_json));
  model::recovery_need need{model::recovery_kind::timer, 9000, running_id + "-1", "s"};
  b.put(storage::cf::indexes, "a/" + running_id, storage::encode_recovery_need(need));
  b.put(storage::cf::indexes, "s/FAILED/" + done_id, {});
  b.put(storage::cf::history, running_id + "/0000000000000001",
        v1(R"({"seq":1,"atMs":1000,"type":"process_created","detail":"Def v2"})"));
  b.put(storage::cf::history, running_id + "/0000000000000002",
        v1(R"([{"seq":2,"atMs":1000,"type":"process_started"},)"
           R"({"seq":3,"atMs":1001,"type":"step_started","processStepId":")" +
           running_id + R"(-1"}])"));
  b.put(storage::cf::history, done_id + "/0000000000000001",
        v1(R"({"seq":1,"atMs":2000,"type":"process_failed","detail":"boom"})"));
  b.put(
      storage::cf::indexes, "c/" + running_id,
      v1(R"({"url":"http://127.0.0.1:9/cb","format":"native","headers":[["Authorization","Bearer t"]]})"));
  store->put_outbox(b, running_id, 4, v1(running_json));
  REQUIRE(commit(*store, std::move(b)).empty());
}

}  // namespace

TEST_CASE("a store written in the JSON format reads back through the binary-format code",
          "[storage][legacy]") {
  temp_dir dir;
  write_legacy_store(dir);
  auto store = open_store(dir);
  bool noted = false;
  for (const auto& note : store->opening_notes()) {
    noted = noted || note.find("JSON format of an earlier release") != std::string::npos;
  }
  CHECK(noted);

  auto running = store->load_process(running_id).value();
  REQUIRE(running);
  CHECK(running->status == process_status::running);
  CHECK(running->version == 2);
  CHECK(running->scope == "s");
  CHECK(running->vals.at("b") == value::of_bool(true));
  CHECK(running->vals.at("i") == value::of_integer(-7));
  CHECK(running->vals.at("j") == value::of_json(R"({"a":[1,{"b":null}]})"));
  CHECK(running->vals.at("n") == value::of_number(2.5));
  CHECK(running->vals.at("s") == value::of_string("x\"y"));
  CHECK(running->vals.at("z").is_null());
  REQUIRE(running->steps.size() == 1);
  const auto& step = running->steps.front();
  CHECK(step.id == running_id + "-1");
  CHECK(step.kind == model::step_kind::external);
  CHECK(step.status == model::step_status::started);
  CHECK(step.attempt == 2);
  CHECK(step.due_ms == 9000);
  CHECK(step.retry_pending);
  CHECK(step.error == "late");
  CHECK(step.params.at("p") == value::of_string("v"));
  CHECK(running->retry_count == 3);
  CHECK(running->scenario == "happy");
  CHECK(running->sandbox);
  CHECK(running->worker == "w");
  CHECK(running->schedule_id == "sch");
  CHECK(running->callback_url == "http://127.0.0.1:9/cb");
  CHECK(running->history_seq == 4);

  auto done = store->load_process(done_id).value();
  REQUIRE(done);
  CHECK(done->status == process_status::failed);
  CHECK(done->error == "boom");
  CHECK(done->outputs.at("x") == value::of_string("out"));

  auto history = store->history(running_id).value();
  REQUIRE(history.size() == 3);
  CHECK(history[0].detail == "Def v2");
  CHECK(history[1].type == "process_started");
  CHECK(history[2].step_id == running_id + "-1");
  CHECK(history[2].at_ms == 1001);

  auto target = store->callback(running_id).value();
  REQUIRE(target);
  CHECK(target->url == "http://127.0.0.1:9/cb");
  CHECK(target->headers.size() == 1);

  std::vector<std::string> outbox;
  REQUIRE(store
              ->for_each_outbox([&](std::string_view, std::string_view snapshot) {
                auto p = storage::decode_process(snapshot);
                REQUIRE(p);
                outbox.push_back(p->id);
              })
              .ok());
  CHECK(outbox == std::vector<std::string>{running_id});

  storage::process_query failed;
  failed.status = process_status::failed;
  auto listed = store->list(failed).value();
  REQUIRE(listed.states.size() == 1);
  CHECK(listed.states.front().id == done_id);

  auto report = storage::check(store->database());
  std::string problems;
  for (const auto& p : report.problems) problems += p.to_string() + "\n";
  INFO(report.summary() << "\n" << problems);
  CHECK(report.ok());
}

TEST_CASE("a JSON-format process is rewritten in the binary format when it changes",
          "[storage][legacy]") {
  temp_dir dir;
  write_legacy_store(dir);
  {
    auto store = open_store(dir);
    auto p = store->load_process(running_id).value();
    REQUIRE(p);
    auto previous = p->status;
    p->status = process_status::succeeded;
    p->history_seq = 5;
    storage::batch b;
    store->put_process(b, *p, previous);
    store->put_history(b, running_id, {{5, 3000, "process_succeeded", {}, {}}});
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  auto raw = store->process_raw(running_id).value();
  REQUIRE(raw);
  CHECK(raw->front() == storage::format_v2);
  auto p = store->load_process(running_id).value();
  REQUIRE(p);
  CHECK(p->status == process_status::succeeded);
  CHECK(p->vals.at("j") == value::of_json(R"({"a":[1,{"b":null}]})"));
  // Old and new history records of one process read as one history.
  auto history = store->history(running_id).value();
  REQUIRE(history.size() == 4);
  CHECK(history.back().type == "process_succeeded");
  CHECK(storage::check(store->database()).ok());
}
