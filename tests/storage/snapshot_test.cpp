#include "storage/snapshot.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/storage/store_helpers.hpp"

using namespace baton;
using storage::backup_errc;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace fs = std::filesystem;

namespace {

void put_process(storage::process_store& store, const std::string& id) {
  model::process_state p;
  p.id = id;
  p.definition = "Work";
  p.status = model::process_status::succeeded;
  storage::batch b;
  store.put_process(b, p, std::nullopt);
  REQUIRE(commit(store, std::move(b)).empty());
}

bool holds(storage::process_store& store, const std::string& id) {
  auto loaded = store.load_process(id);
  return loaded.ok() && loaded.value().has_value();
}

}  // namespace

TEST_CASE("a snapshot of a live store replaces a store behind it, which is kept aside",
          "[storage][snapshot]") {
  temp_dir live, behind;
  std::string archive;
  {
    auto store = open_store(live);
    put_process(*store, "p1");
    auto packed = storage::pack_snapshot(store->database(), live.str(), 1 << 30, archive);
    INFO(packed.detail);
    REQUIRE(packed.ok());
    CHECK(packed.summary.files > 0);
    put_process(*store, "p2");  // after the copy: not in it
  }
  // No scratch folder is left in the live one.
  for (const auto& entry : fs::directory_iterator(fs::path(live.str())))
    CHECK_FALSE(entry.path().filename().string().starts_with("snapshot.tmp"));
  { put_process(*open_store(behind), "old"); }

  auto installed = storage::install_snapshot(archive, behind.str(), "1");
  INFO(installed.detail);
  REQUIRE(installed.ok());
  auto store = open_store(behind);
  CHECK(holds(*store, "p1"));
  CHECK_FALSE(holds(*store, "p2"));
  CHECK_FALSE(holds(*store, "old"));
  CHECK(fs::exists(fs::path(behind.str()) / "db.behind-1" / "CURRENT"));
}

TEST_CASE("a snapshot that is malformed, cut short or too large is refused",
          "[storage][snapshot]") {
  temp_dir live, target;
  std::string archive;
  {
    auto store = open_store(live);
    put_process(*store, "p1");
    REQUIRE(storage::pack_snapshot(store->database(), live.str(), 1 << 30, archive).ok());
    std::string small;
    CHECK(storage::pack_snapshot(store->database(), live.str(), 16, small).code ==
          backup_errc::too_large);
  }
  CHECK(storage::install_snapshot("not a snapshot", target.str(), "x").code ==
        backup_errc::not_a_backup);
  CHECK(storage::install_snapshot(archive.substr(0, archive.size() - 10), target.str(), "x").code ==
        backup_errc::not_a_backup);
  CHECK(storage::install_snapshot("baton-snapshot 1\n../evil\n1\nx", target.str(), "x").code ==
        backup_errc::not_a_backup);
  // Nothing refused was swapped in or left behind.
  CHECK_FALSE(fs::exists(fs::path(target.str()) / "db"));
  CHECK_FALSE(fs::exists(fs::path(target.str()) / "db.seeding"));
}
