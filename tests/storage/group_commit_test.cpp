#include "storage/group_commit.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/store_helpers.hpp"

using namespace baton;
using testing::open_store;
using testing::temp_dir;

namespace {

std::string key_of(int thread, int i) {
  return "t" + std::to_string(thread) + "-" + std::to_string(i);
}

/// Waits (in real time, bounded) until `done` reaches `expected`.
bool wait_for(const std::atomic<int>& done, int expected, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (done.load() < expected) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("concurrent submitters are each answered once and batched into fewer commits",
          "[storage]") {
  constexpr int threads = 8;
  constexpr int per_thread = 500;
  constexpr int total = threads * per_thread;
  temp_dir dir;
  std::vector<std::atomic<int>> calls(total);
  std::atomic<int> answered{0};
  std::atomic<int> errors{0};
  {
    auto store = open_store(dir, true);
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          storage::batch b;
          b.put(storage::cf::idempotency, key_of(t, i), "v" + std::to_string(t * per_thread + i));
          b.put(storage::cf::meta, key_of(t, i), "m");
          store->committer().submit(std::move(b),
                                    [&, n = t * per_thread + i](const storage::status& written) {
                                      if (!written.ok()) ++errors;
                                      ++calls[n];
                                      ++answered;
                                    });
        }
      });
    }
    for (auto& s : submitters) s.join();
    REQUIRE(wait_for(answered, total, std::chrono::seconds(15)));
    auto stats = store->committer().snapshot();
    CHECK(stats.submissions == total);
    CHECK(stats.commits >= 1);
    CHECK(stats.commits < stats.submissions);  // batching happened
    CHECK(stats.largest > 1);
    std::uint64_t bucketed = 0;
    for (auto n : stats.buckets) bucketed += n;
    CHECK(bucketed == stats.commits);
  }
  CHECK(errors.load() == 0);
  int twice = 0, never = 0;
  for (auto& c : calls) {
    if (c.load() == 0) ++never;
    if (c.load() > 1) ++twice;
  }
  CHECK(never == 0);
  CHECK(twice == 0);

  auto store = open_store(dir, true);
  int missing = 0;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      auto v = store->database().get(storage::cf::idempotency, key_of(t, i)).value();
      if (!v || *v != "v" + std::to_string(t * per_thread + i)) ++missing;
      if (!store->database().get(storage::cf::meta, key_of(t, i)).value()) ++missing;
    }
  }
  CHECK(missing == 0);
}

TEST_CASE("closing the store commits and answers everything still queued", "[storage]") {
  temp_dir dir;
  std::atomic<int> answered{0};
  std::atomic<int> errors{0};
  constexpr int total = 2000;
  {
    auto store = open_store(dir, true);
    for (int i = 0; i < total; ++i) {
      storage::batch b;
      b.put(storage::cf::processes, key_of(0, i), "x");
      store->committer().submit(std::move(b), [&](const storage::status& written) {
        if (!written.ok()) ++errors;
        ++answered;
      });
    }
  }  // no wait: the destructor drains the queue
  CHECK(answered.load() == total);
  CHECK(errors.load() == 0);
  auto store = open_store(dir, true);
  int found = 0;
  REQUIRE(store->database()
              .scan(storage::cf::processes, "t0-", {},
                    [&](auto, auto) {
                      ++found;
                      return true;
                    })
              .ok());
  CHECK(found == total);
}

TEST_CASE("a commit carries at most max_batch submissions", "[storage]") {
  temp_dir dir;
  auto opened = storage::db::open(dir.str() + "/db", true);
  REQUIRE(opened.ok());
  auto database = std::move(opened).value();
  std::atomic<int> answered{0};
  {
    storage::group_committer committer(*database, nullptr, 8);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          storage::batch b;
          b.put(storage::cf::meta, key_of(t, i), "x");
          committer.submit(std::move(b), [&](const storage::status&) { ++answered; });
        }
      });
    }
    for (auto& s : submitters) s.join();
    REQUIRE(wait_for(answered, 400, std::chrono::seconds(15)));
    auto stats = committer.snapshot();
    CHECK(stats.submissions == 400);
    CHECK(stats.largest <= 8);
    CHECK(stats.commits >= 50);
  }
  CHECK(database->get(storage::cf::meta, key_of(3, 99)).value() == "x");
}

TEST_CASE("an empty batch and a batch with erases commit in order", "[storage]") {
  temp_dir dir;
  auto store = open_store(dir);
  storage::batch put;
  put.put(storage::cf::scopes, "s", "1");
  CHECK(put.count() == 1);
  REQUIRE(testing::commit(*store, std::move(put)).empty());
  CHECK(testing::commit(*store, storage::batch{}).empty());
  storage::batch replace;
  replace.erase(storage::cf::scopes, "s");
  replace.put(storage::cf::scopes, "s", "2");  // later op in one batch wins
  replace.put(storage::cf::scopes, "t", "3");
  replace.erase(storage::cf::scopes, "t");
  REQUIRE(testing::commit(*store, std::move(replace)).empty());
  CHECK(store->database().get(storage::cf::scopes, "s").value() == "2");
  CHECK_FALSE(store->database().get(storage::cf::scopes, "t").value());
}

TEST_CASE("one commit of several batches keeps each key's writes in submission order",
          "[storage]") {
  // The batches of one commit become one RocksDB write: a later submission's write to a key
  // must win over an earlier one's, as if each had been committed alone.
  temp_dir dir;
  auto store = open_store(dir);
  storage::batch first, second, third;
  first.put(storage::cf::scopes, "b", "1");
  first.put(storage::cf::history, "a", "h");
  first.erase(storage::cf::scopes, "a");
  second.put(storage::cf::scopes, "b", "2");
  second.put(storage::cf::scopes, "a", "3");
  second.put(storage::cf::scopes, "c", "4");
  third.erase(storage::cf::scopes, "c");
  third.put(storage::cf::history, "a", "h2");
  auto& db = store->database();
  REQUIRE(db.write_all({&first, &second, &third}).ok());
  CHECK(db.get(storage::cf::scopes, "a").value() == "3");
  CHECK(db.get(storage::cf::scopes, "b").value() == "2");
  CHECK_FALSE(db.get(storage::cf::scopes, "c").value());
  CHECK(db.get(storage::cf::history, "a").value() == "h2");
}
