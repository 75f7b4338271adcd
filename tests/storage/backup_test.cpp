#include "storage/backup.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "storage/check.hpp"
#include "storage/json_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using storage::backup_errc;
using testing::commit;
using testing::open_store;
using testing::put_process;
using testing::temp_dir;

namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("a backup taken while the store is open restores to a store that has its writes",
          "[storage][backup]") {
  temp_dir data, backups, restored;
  auto to = backups.str() + "/nightly";  // its parent exists, it does not
  {
    auto store = open_store(data);
    put_process(*store, "p1");
    auto taken = storage::backup(store->database(), data.str(), to);
    INFO(taken.detail);
    REQUIRE(taken.ok());
    CHECK(taken.summary.folder == to);
    CHECK(taken.summary.sequence > 0);
    CHECK(taken.summary.files > 0);
    CHECK(taken.summary.bytes > 0);
    put_process(*store, "p2");  // after the backup: not in it
  }
  auto target = restored.str() + "/data";
  auto made = storage::restore(to, target);
  INFO(made.detail);
  REQUIRE(made.ok());
  CHECK(made.summary.files > 0);
  auto opened = storage::db::open(target + "/db", false);
  REQUIRE(opened.ok());
  auto& database = *opened.value();
  CHECK(database.get(storage::cf::processes, "p1").value());
  CHECK_FALSE(database.get(storage::cf::processes, "p2").value());
  CHECK(storage::check(database).ok());
}

TEST_CASE("a backup goes only into a new or empty folder outside the data folder",
          "[storage][backup]") {
  temp_dir data, backups;
  auto store = open_store(data);
  put_process(*store, "p1");
  CHECK(storage::backup(store->database(), data.str(), "relative/dir").code ==
        backup_errc::not_absolute);
  CHECK(storage::backup(store->database(), data.str(), data.str() + "/copy").code ==
        backup_errc::inside_data);
  CHECK(storage::backup(store->database(), data.str(), data.str()).code ==
        backup_errc::inside_data);
  std::ofstream(backups.str() + "/file") << "x";
  CHECK(storage::backup(store->database(), data.str(), backups.str()).code ==
        backup_errc::not_empty);
  CHECK(storage::backup(store->database(), data.str(), backups.str() + "/file").code ==
        backup_errc::not_empty);
  CHECK(storage::backup(store->database(), data.str(), backups.str() + "/file/below").code ==
        backup_errc::not_empty);
  fs::create_directories(backups.str() + "/empty");
  CHECK(storage::backup(store->database(), data.str(), backups.str() + "/empty").ok());
}

TEST_CASE("a restore refuses a target in use and a source that is no backup", "[storage][backup]") {
  temp_dir data, backups, other;
  {
    auto store = open_store(data);
    put_process(*store, "p1");
    REQUIRE(storage::backup(store->database(), data.str(), backups.str() + "/b").ok());
  }
  CHECK(storage::restore(other.str(), other.str() + "/data").code == backup_errc::not_a_backup);
  std::ofstream(other.str() + "/file") << "x";
  CHECK(storage::restore(backups.str() + "/b", other.str()).code == backup_errc::not_empty);
  CHECK(fs::exists(other.str() + "/file"));  // left as it was
  CHECK_FALSE(fs::exists(other.str() + "/db"));
}
