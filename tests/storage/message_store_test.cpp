// The records of message steps: the correlation index follows a process' wait, buffered
// messages and messageId answers survive close and reopen, and a snapshot written before
// message steps reads as waiting for none.

#include "storage/message_store.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/process_store.hpp"
#include "storage/record_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using model::value;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace {

model::process_state waiting_for(std::string correlation) {
  model::process_state p;
  p.id = "p1";
  p.awaited = {"p1-1", "doc/arrived", std::move(correlation)};
  return p;
}

}  // namespace

TEST_CASE("the correlation index follows a process' wait", "[storage][message]") {
  temp_dir dir;
  auto store = open_store(dir);
  model::process_state none;
  none.id = "p1";
  auto waiting = waiting_for("a/b%c");
  {
    storage::batch b;
    storage::put_message_wait(b, none, waiting);
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto found = storage::waiting_steps(store->database(), "doc/arrived", "a/b%c");
  REQUIRE(found.ok());
  CHECK(found.value() == std::vector<std::string>{"p1-1"});
  // Escaping keeps pairs apart: "a" with "b%c/..." is not "a/b%c".
  CHECK(storage::waiting_steps(store->database(), "doc/arrived", "a").value().empty());
  CHECK(storage::waiting_steps(store->database(), "doc", "arrived/a/b%c").value().empty());
  {
    storage::batch b;
    storage::put_message_wait(b, waiting, none);
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  CHECK(storage::waiting_steps(store->database(), "doc/arrived", "a/b%c").value().empty());
}

TEST_CASE("buffered messages and messageId answers survive reopen", "[storage][message]") {
  temp_dir dir;
  std::string first_key;
  {
    auto store = open_store(dir, true);
    storage::batch b;
    storage::buffered_message older{"", "doc", "L1", {{"n", value::of_integer(1)}}, 5000, "m1"};
    storage::buffered_message newer{"", "doc", "L1", {{"n", value::of_integer(2)}}, 6000, ""};
    storage::buffered_message other{"", "doc", "L2", {}, 7000, ""};
    first_key = storage::put_buffered_message(b, older, 1000);
    storage::put_buffered_message(b, newer, 1000);
    storage::put_buffered_message(b, other, 1001);
    storage::message_answer_record answer;
    answer.expires_ms = 9000;
    answer.completed = 2;
    answer.processes = {"p1", "p2"};
    answer.refused = {{"p3-1", "invalid params"}};
    storage::put_message_answer(b, "m1", answer);
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  auto messages = storage::buffered_messages(store->database(), "doc", "L1");
  REQUIRE(messages.ok());
  REQUIRE(messages.value().size() == 2);
  CHECK(messages.value()[0].key == first_key);
  CHECK(messages.value()[0].values.at("n") == value::of_integer(1));
  CHECK(messages.value()[0].message_id == "m1");
  CHECK(messages.value()[1].values.at("n") == value::of_integer(2));
  CHECK(storage::all_buffered_messages(store->database()).value().size() == 3);
  auto kept = storage::message_answer(store->database(), "m1");
  REQUIRE(kept.ok());
  REQUIRE(kept.value());
  CHECK(kept.value()->completed == 2);
  CHECK(kept.value()->processes == std::vector<std::string>{"p1", "p2"});
  CHECK(kept.value()->refused.size() == 1);
  CHECK_FALSE(storage::message_answer(store->database(), "m2").value());

  storage::batch b;
  storage::erase_buffered_message(b, first_key);
  REQUIRE(commit(*store, std::move(b)).empty());
  CHECK(storage::buffered_messages(store->database(), "doc", "L1").value().size() == 1);
}

TEST_CASE("a snapshot keeps its awaited message, and one without it reads as none",
          "[storage][message]") {
  auto waiting = waiting_for("L1");
  auto decoded = storage::decode_process(storage::encode_process(waiting));
  REQUIRE(decoded);
  CHECK(decoded->awaited == waiting.awaited);
  // A snapshot of a process that waits for no message, as written before message steps
  // existed, ends after the lease (before the awaited message and what came after it: a
  // child's parent and entry, and its children, four empty fields of one byte each).
  model::process_state plain;
  plain.id = "p2";
  auto bytes = storage::encode_process(plain);
  auto without_wait = bytes.substr(0, bytes.size() - 4 - 3);  // three empty strings
  auto old = storage::decode_process(without_wait);
  REQUIRE(old);
  CHECK_FALSE(old->awaited.waiting());
  CHECK(old->id == "p2");
}
