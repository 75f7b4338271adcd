// What the store does when the device fails a write: the write is refused with its kind
// (no space, I/O error) and nothing of it is read back; after no space, writes go on once the
// fault clears, without reopening; after an I/O error on the log, once the store is reopened.

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "storage/fault_injection.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using baton::testing::commit;

namespace {

storage::batch put(std::string key) {
  storage::batch b;
  b.put(storage::cf::scopes, key, "v");
  return b;
}

/// Commits `key` until it is taken, for at most `limit`: after a failure RocksDB is asked to
/// resume at most once a second, so the first commits after the fault clears may be refused.
bool commit_until_taken(storage::process_store& store, const std::string& key,
                        std::chrono::seconds limit, std::string& last) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    last = commit(store, put(key));
    if (last.empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polled, bounded above
  }
  return false;
}

}  // namespace

TEST_CASE("a write the device fails is refused by kind, leaves nothing, and writes come back",
          "[storage]") {
  auto kind = GENERATE(storage::storage_errc::no_space, storage::storage_errc::io_error);
  baton::testing::temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  storage::store_options options;
  options.sync = true;
  options.min_free_bytes = 0;  // the device fails here, not the free-space guard
  options.faults = faults;
  {
    auto opened = storage::process_store::open(dir.str(), options);
    REQUIRE(opened.ok());
    auto store = std::move(opened).value();
    REQUIRE(commit(*store, put("before")).empty());

    faults->failing = kind;
    auto refused = commit(*store, put("during"));
    CHECK(refused.starts_with(std::string(storage::to_string(kind))));
    CHECK(faults->failed > 0);
    CHECK_FALSE(store->committer().refusing().ok());
    // Reads go on while writes are refused.
    CHECK(store->database().get(storage::cf::scopes, "before").value());

    faults->failing = storage::storage_errc::ok;
    std::string last;
    // Resumes are tried once a second: 3 s see several tries.
    auto limit = std::chrono::seconds(kind == storage::storage_errc::no_space ? 10 : 3);
    bool taken = commit_until_taken(*store, "after", limit, last);
    INFO(last);
    if (kind == storage::storage_errc::no_space) {
      // RocksDB resumes from a full device once it has room again.
      REQUIRE(taken);
      CHECK(store->committer().refusing().ok());
      CHECK(store->committer().snapshot().resumed >= 1);
    } else {
      // After an I/O error on its log RocksDB 7.8 takes no more writes until it is opened
      // again: every write is refused (503), none is lost, and a restart clears it.
      CHECK_FALSE(taken);
      CHECK(store->committer().refusing().code() == storage::storage_errc::io_error);
      REQUIRE(commit(*store, put("after")).empty() == false);
    }
  }
  // Reopened: what was acknowledged is there.
  options.faults.reset();
  auto reopened = storage::process_store::open(dir.str(), options);
  REQUIRE(reopened.ok());
  auto& db = reopened.value()->database();
  CHECK(db.get(storage::cf::scopes, "before").value());
  CHECK_FALSE(db.get(storage::cf::scopes, "during").value());
  if (kind == storage::storage_errc::no_space) {
    CHECK(db.get(storage::cf::scopes, "after").value());
  } else {
    REQUIRE(commit(*reopened.value(), put("after")).empty());
  }
}
