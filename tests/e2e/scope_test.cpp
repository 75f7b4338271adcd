#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

constexpr std::string_view work_definition =
    R"({"name":"ScopedWork","steps":[{"id":"work","kind":"external"}]})";

server_options scope_options(definitions_folder& defs) {
  defs.add("ScopedWork", work_definition);
  server_options opts;
  opts.definitions = defs.path();
  return opts;
}

std::string start_in(std::uint16_t port, const std::string& scope) {
  return start(port, R"({"definition":"ScopedWork","scope":")" + scope + "\"}");
}

struct scope_view {
  std::vector<std::string> running;
  std::vector<std::string> queued;  ///< in position order
};

/// GET /api/v1/scopes/{scope}, checking that positions count 1, 2, 3...
scope_view get_scope(std::uint16_t port, const std::string& scope) {
  auto r = http_call(port, "GET", "/api/v1/scopes/" + scope);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto obj = object_of(r);
  CHECK(text(obj, "name") == scope);
  scope_view out;
  for (const auto& id : obj.at("running").as_array()) out.running.emplace_back(id.as_string());
  std::int64_t position = 0;
  for (const auto& q : obj.at("queued").as_array()) {
    CHECK(q.as_object().at("position").as_int64() == ++position);
    out.queued.push_back(text(q.as_object(), "id"));
  }
  return out;
}

}  // namespace

TEST_CASE("a scope admits its processes one at a time in FIFO order", "[e2e]") {
  definitions_folder defs;
  baton_server server(scope_options(defs));
  auto port = server.port();

  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = start_in(port, "fifo");
    auto p = get_process(port, id);
    CHECK(text(p, "status") == (i == 0 ? "RUNNING" : "WAITING"));
    CHECK(text(p, "scope") == "fifo");
    ids.push_back(id);
  }
  // A process outside the scope is not held up.
  auto free = start(port, R"({"definition":"ScopedWork"})");
  CHECK(text(get_process(port, free), "status") == "RUNNING");

  auto view = get_scope(port, "fifo");
  CHECK(view.running == std::vector<std::string>{ids[0]});
  CHECK(view.queued == std::vector<std::string>(ids.begin() + 1, ids.end()));

  // `running` runs, `queued` wait in that order, and nothing else is in the scope.
  auto expect_scope = [&](const std::string& running, const std::vector<std::string>& queued) {
    auto p = wait_for_status(port, running, "RUNNING");
    REQUIRE(text(p, "status") == "RUNNING");
    auto v = get_scope(port, "fifo");
    CHECK(v.running == std::vector<std::string>{running});
    CHECK(v.queued == queued);
    for (const auto& id : queued) CHECK(text(get_process(port, id), "status") == "WAITING");
  };

  {  // busy: reject answers 409 while the scope is occupied
    auto r = http_call(port, "POST", "/api/v1/processes",
                       R"({"definition":"ScopedWork","scope":"fifo","busy":"reject"})");
    INFO(r.body);
    CHECK(r.status == 409);
    CHECK(r.header("content-type") == "application/problem+json");
    CHECK(object_of(r).at("status").as_int64() == 409);
    // Nothing was queued for it.
    expect_scope(ids[0], {ids[1], ids[2], ids[3], ids[4]});
    // A free scope takes a rejecting start at once.
    auto id = start(port, R"({"definition":"ScopedWork","scope":"idle","busy":"reject"})");
    CHECK(text(get_process(port, id), "status") == "RUNNING");
  }

  {  // cancelling a queued process removes it from the queue
    auto r = http_call(port, "POST", "/api/v1/processes/" + ids[2] + "/cancel",
                       R"({"reason":"not needed"})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(text(object_of(r), "status") == "CANCELLED");
    expect_scope(ids[0], {ids[1], ids[3], ids[4]});
  }

  {  // completing the running process admits the next, in order
    auto r = complete_step(port, ids[0] + "-1", "");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(text(wait_for_status(port, ids[0], "SUCCEEDED"), "status") == "SUCCEEDED");
    expect_scope(ids[1], {ids[3], ids[4]});
  }

  {  // cancelling the running process frees its slot; the cancelled one is skipped
    auto r = http_call(port, "POST", "/api/v1/processes/" + ids[1] + "/cancel");
    INFO(r.body);
    REQUIRE(r.status == 200);
    expect_scope(ids[3], {ids[4]});
    auto cancelled = get_process(port, ids[1]);
    CHECK(text(cancelled, "status") == "CANCELLED");
    CHECK(text(cancelled.at("steps").as_array()[0].as_object(), "status") == "SKIPPED");
  }

  {  // the rest run to the end, one after the other
    REQUIRE(complete_step(port, ids[3] + "-1", "").status == 200);
    expect_scope(ids[4], {});
    REQUIRE(complete_step(port, ids[4] + "-1", "").status == 200);
    CHECK(text(wait_for_status(port, ids[4], "SUCCEEDED"), "status") == "SUCCEEDED");
    auto v = get_scope(port, "fifo");
    CHECK(v.running.empty());
    CHECK(v.queued.empty());
  }

  // Each waited for its predecessor: no two ran at once.
  std::vector<std::string> ran = {ids[0], ids[1], ids[3], ids[4]};
  for (std::size_t i = 1; i < ran.size(); ++i) {
    auto prev = get_process(port, ran[i - 1]);
    auto cur = get_process(port, ran[i]);
    CHECK(cur.at("steps").as_array()[0].as_object().at("createdMs").as_int64() >=
          prev.at("updatedMs").as_int64());
  }
  // The process cancelled in the queue never ran, and cancelling it again is a conflict.
  auto never = get_process(port, ids[2]);
  CHECK(text(never, "status") == "CANCELLED");
  CHECK(never.at("steps").as_array().empty());
  CHECK(http_call(port, "POST", "/api/v1/processes/" + ids[2] + "/cancel").status == 409);
}

TEST_CASE("a scope's limit admits that many at once", "[e2e]") {
  definitions_folder defs;
  baton_server server(scope_options(defs));
  auto port = server.port();

  auto put = http_call(port, "PUT", "/api/v1/scopes/pair", R"({"limit":2})");
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(object_of(put).at("limit").as_int64() == 2);
  CHECK(http_call(port, "PUT", "/api/v1/scopes/pair", R"({"limit":0})").status == 400);

  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(start_in(port, "pair"));
  CHECK(text(get_process(port, ids[0]), "status") == "RUNNING");
  CHECK(text(get_process(port, ids[1]), "status") == "RUNNING");
  CHECK(text(get_process(port, ids[2]), "status") == "WAITING");
  CHECK(text(get_process(port, ids[3]), "status") == "WAITING");
  auto v = get_scope(port, "pair");
  CHECK(v.running.size() == 2);
  CHECK(v.queued == std::vector<std::string>{ids[2], ids[3]});

  // Raising the limit of a scope with a queue admits the head of the queue.
  REQUIRE(http_call(port, "PUT", "/api/v1/scopes/pair", R"({"limit":3})").status == 200);
  CHECK(text(wait_for_status(port, ids[2], "RUNNING"), "status") == "RUNNING");
  CHECK(text(get_process(port, ids[3]), "status") == "WAITING");

  // Freeing one slot admits the last.
  REQUIRE(complete_step(port, ids[1] + "-1", "").status == 200);
  CHECK(text(wait_for_status(port, ids[3], "RUNNING"), "status") == "RUNNING");
  v = get_scope(port, "pair");
  CHECK(v.running.size() == 3);
  CHECK(v.queued.empty());
}
