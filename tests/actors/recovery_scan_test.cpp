// Recovery's scan of the active index finds the children whose parent has ended: a crash came
// between the parent's end and the cancel it sent them, and they are cancelled on start.

#include "actors/recovery_scan.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/storage/store_helpers.hpp"

using namespace baton;

namespace {

void put_running(storage::process_store& store, const std::string& id) {
  testing::put_process(store, id, model::process_status::running);
}

}  // namespace

TEST_CASE("recovery cancels the children of a parent that ended", "[actors][recovery][children]") {
  testing::temp_dir dir;
  auto store = testing::open_store(dir);
  const std::string a = "0000000003e8000100000001", b = "0000000003e8000100000002",
                    c = "0000000003e8000100000003";
  testing::put_process(*store, a);  // ended: its children are orphans
  for (const auto& id : {a + ".1", a + ".2", a + ".2.1", b, b + ".1", b + ".1.1", b + ".3", c})
    put_running(*store, id);
  testing::put_process(*store, b + ".2");  // ended: its child is an orphan
  put_running(*store, b + ".2.1");

  actors::recovery_scan scan;
  REQUIRE(actors::scan_recovery(
              *store, [](std::string_view) { return true; }, scan)
              .ok());
  std::vector<std::string> expected = {a + ".1", a + ".2", b + ".2.1"};
  CHECK(scan.work.orphans == expected);
  CHECK(scan.active == 9);
}
