// Recovery's scan of the active index finds the children whose parent has ended, or no longer
// waits for children: a crash came between the parent's end (or an `any` join) and the cancel
// it sent them, and they are cancelled on start.

#include "actors/recovery_scan.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/storage/store_helpers.hpp"

using namespace baton;

namespace {

void put_running(storage::process_store& store, const std::string& id) {
  testing::put_process(store, id, model::process_status::running);
}

/// A running process at a parallel step: it waits for its children.
void put_waiting_parent(storage::process_store& store, const std::string& id) {
  model::process_state p;
  p.id = id;
  p.definition = "Work";
  p.status = model::process_status::running;
  model::step_execution fork;
  fork.id = id + "-1";
  fork.step = "fork";
  fork.kind = model::step_kind::parallel;
  fork.status = model::step_status::started;
  p.steps.push_back(fork);
  testing::put_process(store, p);
}

}  // namespace

TEST_CASE("recovery cancels the children of a parent that ended or waits for them no more",
          "[actors][recovery][children]") {
  testing::temp_dir dir;
  auto store = testing::open_store(dir);
  const std::string a = "0000000003e8000100000001", b = "0000000003e8000100000002",
                    c = "0000000003e8000100000003", d = "0000000003e8000100000004";
  testing::put_process(*store, a);  // ended: its children are orphans
  put_running(*store, a + ".1");
  put_waiting_parent(*store, a + ".2");  // an orphan; cancelling it cancels its child
  put_running(*store, a + ".2.1");
  put_waiting_parent(*store, b);
  put_waiting_parent(*store, b + ".1");
  for (const auto& id : {b + ".1.1", b + ".3", c}) put_running(*store, id);
  testing::put_process(*store, b + ".2");  // ended: its child is an orphan
  put_running(*store, b + ".2.1");
  put_running(*store, d);  // moved on past an `any` join: its child still running is an orphan
  put_running(*store, d + ".1");

  actors::recovery_scan scan;
  REQUIRE(actors::scan_recovery(
              *store, [](std::string_view) { return true; }, scan)
              .ok());
  std::vector<std::string> expected = {a + ".1", a + ".2", b + ".2.1", d + ".1"};
  CHECK(scan.work.orphans == expected);
  CHECK(scan.active == 11);
  // A waiting parent is loaded after the restart to start its children again.
  CHECK(std::count(scan.work.reissue.begin(), scan.work.reissue.end(), b) == 1);
}
