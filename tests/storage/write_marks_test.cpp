// A write mark stays the same exactly while no write of its key has begun: what lets a status
// GET skip reading a snapshot it has rendered before.

#include "storage/write_marks.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <thread>

#include "storage/db.hpp"
#include "temp_dir.hpp"

using namespace baton;

TEST_CASE("a write mark changes once a write of its key begins", "[storage][marks]") {
  storage::write_marks marks;
  auto before = marks.mark("p1");
  REQUIRE(before);
  CHECK(marks.mark("p1") == before);
  marks.writing("p1");
  CHECK_FALSE(marks.mark("p1"));  // under way: a read might see the write or not
  marks.written("p1");
  auto after = marks.mark("p1");
  REQUIRE(after);
  CHECK(after != before);
  // Two writes of one slot at once: no mark until both are done.
  marks.writing("p1");
  marks.writing("p1");
  marks.written("p1");
  CHECK_FALSE(marks.mark("p1"));
  marks.written("p1");
  CHECK(marks.mark("p1"));
  CHECK(marks.mark("p1") != after);
}

TEST_CASE("the database marks every write of a process snapshot, and only those",
          "[storage][marks]") {
  testing::temp_dir dir;
  auto opened = storage::db::open(dir.str() + "/db", false);
  REQUIRE(opened.ok());
  auto& db = *opened.value();
  auto mark = db.write_mark("p1");
  REQUIRE(mark);

  // Another family's write under the same key leaves the snapshot's mark alone.
  storage::batch history;
  history.put(storage::cf::history, "p1", "event");
  REQUIRE(db.write(history).ok());
  CHECK(db.write_mark("p1") == mark);

  // A snapshot written, alone or among other batches, or erased: the mark moves each time.
  storage::batch snapshot;
  snapshot.put(storage::cf::processes, "p1", "state-2");
  REQUIRE(db.write(snapshot).ok());
  auto second = db.write_mark("p1");
  REQUIRE(second);
  CHECK(second != mark);

  storage::batch other, again;
  other.put(storage::cf::indexes, "x", "y");
  again.put(storage::cf::processes, "p1", "state-3");
  REQUIRE(db.write_all({&other, &again}).ok());
  auto third = db.write_mark("p1");
  CHECK(third != second);

  storage::batch erase;
  erase.erase(storage::cf::processes, "p1");
  REQUIRE(db.write(erase).ok());
  CHECK(db.write_mark("p1") != third);
}

TEST_CASE("a value kept under an unchanged mark is never older than an acknowledged write",
          "[storage][marks]") {
  // The status GET's way, raced: a writer acknowledges versions 1..N of a snapshot one after
  // another; readers answer from what they kept while the mark holds and read otherwise. Any
  // answer older than the version acknowledged before the reader began is a stale read.
  testing::temp_dir dir;
  auto opened = storage::db::open(dir.str() + "/db", false);
  REQUIRE(opened.ok());
  auto& db = *opened.value();
  constexpr int versions = 2000;
  std::atomic<int> acknowledged{0};
  std::atomic<int> stale{0}, kept_answers{0};
  auto reader = [&] {
    std::optional<std::uint64_t> kept_mark;
    int kept_version = 0;
    while (acknowledged.load() < versions) {
      int floor = acknowledged.load();
      auto mark = db.write_mark("p1");
      int answer;
      if (mark && kept_mark == mark) {
        answer = kept_version;
        kept_answers.fetch_add(1);
      } else {
        auto read = db.get(storage::cf::processes, "p1");
        answer = read.ok() && read.value() ? std::stoi(*read.value()) : 0;
        kept_mark = mark;
        kept_version = answer;
      }
      if (answer < floor) stale.fetch_add(1);
    }
  };
  std::thread a(reader), b(reader);
  for (int v = 1; v <= versions; ++v) {
    storage::batch put;
    put.put(storage::cf::processes, "p1", std::to_string(v));
    REQUIRE(db.write(put).ok());
    acknowledged.store(v);
  }
  a.join();
  b.join();
  CHECK(stale.load() == 0);
  INFO("answers from kept values: " << kept_answers.load());
}
