// Real `baton` nodes and a real etcd member on 127.0.0.1 form a cluster: partitions are spread
// over the live nodes, move to the others when a node dies, and come back when it returns;
// every node holds every acknowledged write, through the cluster's log.

#include "model/cluster.hpp"

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/etcd_cluster.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

/// A lease short enough that a dead node's partitions move within seconds.
constexpr auto lease_ms = "2000";

std::unique_ptr<baton_server> start_node(const std::string& name, const etcd_cluster& etcd,
                                         std::string data_dir = {}, bool auth = false) {
  server_options opts;
  std::string endpoints;
  for (const auto& e : etcd.endpoints()) endpoints += (endpoints.empty() ? "" : ",") + e;
  opts.extra_args = {"--node", name, "--etcd", endpoints};
  opts.environment = {{"BATON_AUTH__REQUIRED", auth ? "true" : "false"},
                      {"BATON_CLUSTER__LEASE_MS", lease_ms}};
  opts.data_dir = std::move(data_dir);
  return std::make_unique<baton_server>(std::move(opts));
}

json::object cluster_of(const baton_server& node) {
  auto r = http_call(node.port(), "GET", "/api/v1/cluster");
  REQUIRE(r.status == 200);
  return object_of(r);
}

/// Partition id → owner ("" when unowned), as `node` sees it.
std::map<std::int64_t, std::string> owners(const json::object& view) {
  std::map<std::int64_t, std::string> out;
  for (const auto& p : view.at("partitions").as_array()) {
    const auto& part = p.as_object();
    out[part.at("id").as_int64()] =
        part.at("owner").is_string() ? std::string(part.at("owner").as_string()) : "";
  }
  return out;
}

std::map<std::string, bool> alive(const json::object& view) {
  std::map<std::string, bool> out;
  for (const auto& n : view.at("nodes").as_array())
    out[std::string(n.as_object().at("id").as_string())] = n.as_object().at("alive").as_bool();
  return out;
}

std::map<std::int64_t, std::string> as_map(const std::vector<std::string>& owners) {
  std::map<std::int64_t, std::string> out;
  for (std::size_t p = 0; p < owners.size(); ++p) out[static_cast<std::int64_t>(p)] = owners[p];
  return out;
}

/// Polls `node`'s view every 50 ms until it says whether `who` is alive as `expected`: each
/// node learns it from its own watch, a moment apart. @returns whether it did within 30 s.
bool wait_alive(const baton_server& node, const std::string& who, bool expected) {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (alive(cluster_of(node))[who] == expected) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

/// Polls `node`'s view every 50 ms until every partition is owned by the node that the share
/// of the live set `expected` gives it (what every node computes); @returns the owners then
/// (REQUIREs it happens within 30 s). Views pass through other states while partitions move.
std::map<std::int64_t, std::string> wait_settled(const baton_server& node,
                                                 const std::set<std::string>& expected) {
  const auto share =
      as_map(baton::model::assign_partitions({expected.begin(), expected.end()}, 16));
  auto deadline = std::chrono::steady_clock::now() + 30s;
  json::object view;
  for (;;) {
    view = cluster_of(node);
    if (owners(view) == share) return share;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  FAIL("the partitions did not settle on the expected nodes: " << json::serialize(view));
  return {};
}

/// A scope whose partition `owner` owns, as `asked` sees it.
std::string scope_owned_by(const baton_server& asked, const std::string& owner) {
  auto view = owners(cluster_of(asked));
  for (int i = 0;; ++i) {
    auto candidate = "scope-" + std::to_string(i);
    if (view.at(baton::model::partition_of_scope(candidate, 16)) == owner) return candidate;
  }
}

/// Nodes a and b on `etcd`, once each sees the partitions settled between the two.
std::pair<std::unique_ptr<baton_server>, std::unique_ptr<baton_server>> two_nodes(
    const etcd_cluster& etcd) {
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  for (auto* n : {a.get(), b.get()}) wait_settled(*n, {"a", "b"});
  return {std::move(a), std::move(b)};
}

}  // namespace

TEST_CASE("three nodes share the partitions, and a dead node's move and come back",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  auto c = start_node("c", etcd);

  auto settled = wait_settled(*a, {"a", "b", "c"});
  std::map<std::string, int> share;
  for (const auto& [p, o] : settled) ++share[o];
  for (const auto& [node, n] : share) CHECK((n == 5 || n == 6));
  // Every node sees the same owners, and every node alive.
  for (auto* node : {b.get(), c.get()}) CHECK(wait_settled(*node, {"a", "b", "c"}) == settled);
  CHECK(alive(cluster_of(*b)) ==
        std::map<std::string, bool>{{"a", true}, {"b", true}, {"c", true}});
  auto view = cluster_of(*c);
  CHECK(text(view, "node") == "c");
  CHECK(view.at("clustered").as_bool());
  // Every partition's standbys are the live nodes that do not own it; a node's peer address
  // (where the others send it commands) is its API's.
  const auto partitions = view.at("partitions").as_array();
  for (const auto& p : partitions) {
    std::set<std::string> standbys;
    for (const auto& n : p.at("standbys").as_array()) standbys.insert(std::string(n.as_string()));
    auto owner = text(p.as_object(), "owner");
    std::set<std::string> others{"a", "b", "c"};
    others.erase(owner);
    CHECK(standbys == others);
  }
  const auto nodes = view.at("nodes").as_array();
  for (const auto& n : nodes) CHECK(text(n.as_object(), "peer") == text(n.as_object(), "api"));

  // A crash: the lease runs out and the survivors take c's partitions.
  auto started = std::chrono::steady_clock::now();
  c->kill9();
  auto without_c = wait_settled(*a, {"a", "b"});
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  WARN("takeover after kill -9 took " << took.count() << " ms (lease " << lease_ms << " ms)");
  // Both answers are the share that every node computes from the live set.
  CHECK(as_map(baton::model::assign_partitions({"a", "b", "c"}, 16)) == settled);
  CHECK(as_map(baton::model::assign_partitions({"a", "b"}, 16)) == without_c);
  CHECK(wait_alive(*b, "c", false));

  // c comes back on its data folder: it waits out its old lease and gets its share back.
  c->start();
  CHECK(wait_settled(*b, {"a", "b", "c"}) == settled);
  CHECK(wait_alive(*a, "c", true));
}

namespace {

/// An external step that waits, deployed on one node: the others learn it through the log.
constexpr std::string_view waiting_definition =
    R"({"steps":[{"id":"approve","kind":"external","params":{"ok":"bool"}}]})";

/// The node that owns process `id`'s partition, as `asked` sees it.
baton_server* owner_of(const std::string& id, const baton_server& asked,
                       const std::map<std::string, baton_server*>& nodes) {
  auto partition = baton::model::partition_of_id(id, 16);
  auto owner = owners(cluster_of(asked)).at(partition);
  auto it = nodes.find(owner);
  return it == nodes.end() ? nullptr : it->second;
}

/// Polls GET /api/v1/processes/{id} on `node` every 20 ms until its status is `status`.
bool wait_status_on(const baton_server& node, const std::string& id, std::string_view status) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = http_call(node.port(), "GET", "/api/v1/processes/" + id);
    if (r.status == 200 && text(object_of(r), "status") == status) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("what a node acknowledged survives its death, and its partitions' owner goes on",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  auto c = start_node("c", etcd);
  std::map<std::string, baton_server*> nodes{{"a", a.get()}, {"b", b.get()}, {"c", c.get()}};
  for (auto* n : {a.get(), b.get(), c.get()}) wait_settled(*n, {"a", "b", "c"});

  // Deployed on a, started everywhere: definitions are cluster-wide.
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  std::map<std::string, std::string> started_on;  // process id → node
  for (int i = 0; i < 300; ++i) {
    auto name = std::string(1, static_cast<char>('a' + i % 3));
    auto* node = nodes.at(name);
    // A node learns a definition from the log a moment after it was deployed elsewhere.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    test_response r;
    do {
      r = http_call(node->port(), "POST", "/api/v1/processes", R"({"definition":"Approval"})");
    } while (r.status == 404 && std::chrono::steady_clock::now() < deadline &&
             (std::this_thread::sleep_for(20ms), true));
    REQUIRE(r.status == 201);
    started_on[text(object_of(r), "id")] = name;
  }
  // Every process is readable through every node, at its external step.
  for (const auto& [id, name] : started_on)
    for (auto* n : {a.get(), b.get(), c.get()}) REQUIRE(wait_status_on(*n, id, "RUNNING"));

  // A node that does not own the partition hands the command to the node that does.
  const auto& [first_id, first_node] = *started_on.begin();
  auto* first_owner = owner_of(first_id, *a, nodes);
  REQUIRE(first_owner == nodes.at(first_node));
  baton_server* other = first_owner == a.get() ? b.get() : a.get();
  auto elsewhere = complete_step(other->port(), first_id + "-1",
                                 R"({"ok":{"boolValue":true,"type":"BOOLEAN"}})");
  INFO(elsewhere.body);
  CHECK(elsewhere.status == 200);
  CHECK(wait_status_on(*other, first_id, "SUCCEEDED"));
  CHECK(wait_status_on(*first_owner, first_id, "SUCCEEDED"));

  // c dies. What it acknowledged is on the survivors, and their new owners complete it.
  c->kill9();
  wait_settled(*a, {"a", "b"});
  wait_settled(*b, {"a", "b"});
  int completed = 0;
  for (const auto& [id, name] : started_on) {
    if (name != "c") continue;
    for (auto* n : {a.get(), b.get()}) REQUIRE(wait_status_on(*n, id, "RUNNING"));
    auto* owner = owner_of(id, *a, nodes);
    REQUIRE((owner == a.get() || owner == b.get()));
    auto done =
        complete_step(owner->port(), id + "-1", R"({"ok":{"boolValue":true,"type":"BOOLEAN"}})");
    INFO(done.body);
    REQUIRE(done.status == 200);
    ++completed;
  }
  CHECK(completed == 100);
  for (const auto& [id, name] : started_on)
    if (name == "c") CHECK(wait_status_on(*a, id, "SUCCEEDED"));
}

namespace {

constexpr std::string_view approve_ok = R"({"ok":{"boolValue":true,"type":"BOOLEAN"}})";

/// POST /api/v1/processes of Approval on `node`, tried again while it answers 404 (the node
/// has not learned the definition from the log yet) or 503 (a partition is moving, etcd is
/// electing a leader). @returns the id.
std::string start_approval(const baton_server& node) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto r = http_call(node.port(), "POST", "/api/v1/processes", R"({"definition":"Approval"})");
    if (r.status == 201) return text(object_of(r), "id");
    INFO(r.status << " " << r.body);
    REQUIRE((r.status == 404 || r.status == 503));
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace

TEST_CASE("a node cut off past its lease acknowledges nothing, then rejoins and catches up",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  auto c = start_node("c", etcd);
  std::map<std::string, baton_server*> nodes{{"a", a.get()}, {"b", b.get()}, {"c", c.get()}};
  auto before = wait_settled(*c, {"a", "b", "c"});
  REQUIRE(deploy(c->port(), "Approval", waiting_definition).status / 100 == 2);
  std::vector<std::string> on_c;
  for (int i = 0; i < 20; ++i) on_c.push_back(start_approval(*c));
  for (const auto& id : on_c) REQUIRE(wait_status_on(*a, id, "RUNNING"));

  // c hangs (SIGSTOP) past its lease: a and b take its partitions and complete half of its
  // processes.
  REQUIRE(::kill(c->pid(), SIGSTOP) == 0);
  wait_settled(*a, {"a", "b"});
  for (std::size_t i = 0; i < on_c.size(); i += 2) {
    auto* owner = owner_of(on_c[i], *a, nodes);
    REQUIRE(owner != c.get());
    REQUIRE(complete_step(owner->port(), on_c[i] + "-1", approve_ok).status == 200);
  }
  // c wakes believing it still owns them, its actors holding the state from before. Asked to
  // complete what a and b completed meanwhile, it must never say yes: a 2xx here would be a
  // second completion written over theirs. (Refused while its lease is gone, or, once it
  // owns them again, 412 from the state it reloads.)
  REQUIRE(::kill(c->pid(), SIGCONT) == 0);
  for (std::size_t i = 0; i < on_c.size(); i += 2) {
    auto r = complete_step(c->port(), on_c[i] + "-1", approve_ok);
    INFO(r.body);
    CHECK(r.status / 100 != 2);
  }
  // It rejoins under a new lease, gets its share back, and has caught up: what a and b did
  // meanwhile is what it shows, and it completes the rest.
  CHECK(wait_settled(*c, {"a", "b", "c"}) == before);
  for (std::size_t i = 0; i < on_c.size(); i += 2) CHECK(wait_status_on(*c, on_c[i], "SUCCEEDED"));
  for (std::size_t i = 1; i < on_c.size(); i += 2) {
    auto* owner = owner_of(on_c[i], *c, nodes);
    REQUIRE(owner == c.get());
    auto deadline = std::chrono::steady_clock::now() + 20s;
    test_response r;
    do {
      r = complete_step(c->port(), on_c[i] + "-1", approve_ok);
    } while (r.status == 503 && std::chrono::steady_clock::now() < deadline &&
             (std::this_thread::sleep_for(50ms), true));
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(wait_status_on(*a, on_c[i], "SUCCEEDED"));
  }
  CHECK(c->output().find("lost its lease") != std::string::npos);
}

TEST_CASE("the cluster serves on when one of three etcd members dies", "[e2e][cluster]") {
  etcd_cluster etcd(3);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  wait_settled(*a, {"a", "b"});
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(start_approval(i % 2 ? *a : *b));
  etcd.kill(0);
  for (int i = 0; i < 40; ++i) ids.push_back(start_approval(i % 2 ? *a : *b));
  for (const auto& id : ids) {
    CHECK(wait_status_on(*a, id, "RUNNING"));
    CHECK(wait_status_on(*b, id, "RUNNING"));
  }
  CHECK(wait_settled(*b, {"a", "b"}).size() == 16);
}

TEST_CASE("a node restarted on its data folder catches up from the log", "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  wait_settled(*a, {"a", "b"});
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(start_approval(*b));
  for (const auto& id : ids) REQUIRE(wait_status_on(*a, id, "RUNNING"));
  REQUIRE(b->stop() == 0);
  wait_settled(*a, {"a"});
  // While b is away, a completes b's processes and starts more.
  for (const auto& id : ids) REQUIRE(complete_step(a->port(), id + "-1", approve_ok).status == 200);
  std::vector<std::string> later;
  for (int i = 0; i < 10; ++i) later.push_back(start_approval(*a));
  b->start();
  wait_settled(*b, {"a", "b"});
  for (const auto& id : ids) CHECK(wait_status_on(*b, id, "SUCCEEDED"));
  for (const auto& id : later) CHECK(wait_status_on(*b, id, "RUNNING"));
}

TEST_CASE("a node that stops leaves at once, and a second node of the same name is refused",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  wait_settled(*a, {"a", "b"});

  // Two nodes may not share a name: the second waits out what could be a previous run's
  // lease, then gives up and says why.
  auto twin = run_command(
      "timeout 60 " + std::string(BATON_BINARY) + " serve --listen 127.0.0.1:0 --data " +
      (a->data_dir() / "twin").string() + " --node b --etcd " + etcd.endpoint(0) + " 2>&1");
  CHECK(twin.exit_code == 1);
  CHECK(twin.output.find("another live node is named b") != std::string::npos);

  // SIGTERM: b revokes its lease on the way out, and a takes everything.
  CHECK(b->stop() == 0);
  wait_settled(*a, {"a"});
  CHECK(a->output().find("lost its lease") == std::string::npos);
}

TEST_CASE("cluster settings are checked before anything starts", "[e2e][cli]") {
  auto r = run_baton({"serve", "--etcd", "http://127.0.0.1:1"});
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("cluster.node") != std::string::npos);
  auto bad = run_baton({"serve", "--node", "a b", "--etcd", "127.0.0.1:2379"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("cluster.node") != std::string::npos);
  CHECK(bad.output.find("http://") != std::string::npos);
}

TEST_CASE("a single node describes itself as the whole cluster", "[e2e]") {
  server_options opts;
  opts.environment = {{"BATON_AUTH__REQUIRED", "false"}};
  baton_server node(opts);
  auto view = cluster_of(node);
  CHECK_FALSE(view.at("clustered").as_bool());
  CHECK(view.at("cluster").is_null());
  CHECK(view.at("partitions").as_array().empty());
  REQUIRE(view.at("nodes").as_array().size() == 1);
  const auto& self = view.at("nodes").as_array()[0].as_object();
  CHECK(text(self, "api") == "http://127.0.0.1:" + std::to_string(node.port()));
  CHECK(self.at("alive").as_bool());
}

TEST_CASE("a dead node's timers and scope queues go on at their new owner without a command",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto [a, b] = two_nodes(etcd);
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  // Long enough that b, killed right after the starts, cannot have fired them itself.
  REQUIRE(deploy(a->port(), "Nap", R"({"steps":[{"id":"nap","kind":"timer","duration":"6s"}]})")
                  .status /
              100 ==
          2);

  // Timers armed on b: processes without a scope start in a partition b owns.
  std::vector<std::string> naps;
  for (int i = 0; i < 10; ++i) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    test_response r;
    do {
      r = http_call(b->port(), "POST", "/api/v1/processes", R"({"definition":"Nap"})");
    } while (r.status == 404 && std::chrono::steady_clock::now() < deadline &&
             (std::this_thread::sleep_for(20ms), true));
    REQUIRE(r.status == 201);
    naps.push_back(text(object_of(r), "id"));
  }

  // A scope of b's, one at a time: one process at its step, two queued behind it.
  auto scope = scope_owned_by(*b, "b");
  REQUIRE(http_call(b->port(), "PUT", "/api/v1/scopes/" + scope, R"({"limit":1})").status == 200);
  std::vector<std::string> queued;
  for (int i = 0; i < 3; ++i) {
    auto r = http_call(b->port(), "POST", "/api/v1/processes",
                       R"({"definition":"Approval","scope":")" + scope + R"("})");
    REQUIRE(r.status == 201);
    queued.push_back(text(object_of(r), "id"));
  }
  REQUIRE(wait_status_on(*a, queued[0], "RUNNING"));
  REQUIRE(wait_status_on(*a, queued[2], "WAITING"));
  for (const auto& id : naps) REQUIRE(wait_status_on(*a, id, "RUNNING"));

  b->kill9();
  wait_settled(*a, {"a"});
  // Nobody asks a about the naps: their timers fire there.
  for (const auto& id : naps) CHECK(wait_status_on(*a, id, "SUCCEEDED"));
  // The queue is a's now, as stored: finishing the running one admits the next, and only it.
  REQUIRE(complete_step(a->port(), queued[0] + "-1", approve_ok).status == 200);
  CHECK(wait_status_on(*a, queued[1], "RUNNING"));
  auto q = object_of(http_call(a->port(), "GET", "/api/v1/scopes/" + scope));
  INFO(json::serialize(q));
  CHECK(q.at("running").as_array().size() == 1);
  CHECK(q.at("queued").as_array().size() == 1);
  CHECK(q.at("limit").as_int64() == 1);
}

namespace {

std::int64_t metric(const baton_server& node, std::string_view name) {
  auto body = http_call(node.port(), "GET", "/metrics").body;
  auto at = body.find("\n" + std::string(name) + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("any node takes any request: the engine's part runs where the partition is",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto [a, b] = two_nodes(etcd);
  REQUIRE(deploy(b->port(), "Approval", waiting_definition).status / 100 == 2);
  start_approval(*a);  // a has learned the definition

  // Everything about b's scope, asked of a.
  auto scope = scope_owned_by(*a, "b");
  auto limited = http_call(a->port(), "PUT", "/api/v1/scopes/" + scope, R"({"limit":1})");
  INFO(limited.body);
  REQUIRE(limited.status == 200);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = http_call(a->port(), "POST", "/api/v1/processes",
                       R"({"definition":"Approval","scope":")" + scope + R"("})");
    INFO(r.body);
    REQUIRE(r.status == 201);
    ids.push_back(text(object_of(r), "id"));
    CHECK(baton::model::partition_of_id(ids.back(), 16) ==
          baton::model::partition_of_scope(scope, 16));
  }
  for (auto* n : {a.get(), b.get()}) {
    auto q = object_of(http_call(n->port(), "GET", "/api/v1/scopes/" + scope));
    INFO(json::serialize(q));
    CHECK(q.at("limit").as_int64() == 1);
    CHECK(q.at("running").as_array().size() == 1);
    CHECK(q.at("queued").as_array().size() == 1);
  }
  // The list merges every owner's queues: b's scope, listed by a.
  for (auto* n : {a.get(), b.get()}) {
    auto listed = http_call(n->port(), "GET", "/api/v1/scopes");
    REQUIRE(listed.status == 200);
    auto all = json::parse(listed.body).as_array();
    CHECK(std::count_if(all.begin(), all.end(), [&](const json::value& v) {
            return text(v.as_object(), "name") == scope;
          }) == 1);
  }
  REQUIRE(complete_step(a->port(), ids[0] + "-1", approve_ok).status == 200);
  CHECK(wait_status_on(*a, ids[1], "RUNNING"));
  auto cancelled = http_call(a->port(), "POST", "/api/v1/processes/" + ids[1] + "/cancel", "{}");
  INFO(cancelled.body);
  CHECK(cancelled.status == 200);
  CHECK(wait_status_on(*b, ids[1], "CANCELLED"));
  CHECK(metric(*a, "baton_cluster_commands_forwarded_total") >= 5);

  // A vendor's API too: every job of the job workflow API without a scope shares one queue,
  // in one partition, which one of the two nodes does not own.
  for (auto* n : {a.get(), b.get()}) {
    auto job = http_call(
        n->port(), "POST", "/v1/JobWorkflow/Authorized",
        R"({"descriptor":"PLATFORM_CUSTOM_WORKFLOW","parameters":{"WORKFLOW_AUTOMATION_ID":"Approval"}})");
    INFO(job.body);
    CHECK(job.status == 202);
  }

  // Only nodes of the cluster may send commands.
  auto forged = http_call(a->port(), "POST", "/api/v1/cluster/commands", "x",
                          {{"Baton-Cluster-Secret", "guess"}});
  CHECK(forged.status == 401);
  CHECK(http_call(a->port(), "POST", "/api/v1/cluster/commands", "x").status == 401);
  CHECK(http_call(a->port(), "GET", "/api/v1/cluster/snapshot", {},
                  {{"Baton-Cluster-Secret", "guess"}})
            .status == 401);

  // The owner dead and its lease not yet run out: a says so, and acknowledges nothing.
  auto more = http_call(b->port(), "POST", "/api/v1/processes",
                        R"({"definition":"Approval","scope":")" + scope + R"("})");
  REQUIRE(more.status == 201);
  auto id = text(object_of(more), "id");
  REQUIRE(wait_status_on(*a, id, "RUNNING"));
  b->kill9();
  auto refused = complete_step(a->port(), id + "-1", approve_ok);
  INFO(refused.body);
  if (refused.status != 200) {  // a took the partition already: the lease ran out meanwhile
    CHECK(refused.status == 503);
    CHECK(!refused.header("retry-after").empty());
    CHECK(refused.body.find("owned by node b") != std::string::npos);
    wait_settled(*a, {"a"});
    CHECK(complete_step(a->port(), id + "-1", approve_ok).status == 200);
  }
  CHECK(wait_status_on(*a, id, "SUCCEEDED"));
}

namespace {

/// The fire times of schedule `id` as `node` reads it, with their processes.
std::vector<std::pair<std::int64_t, std::string>> runs_on(const baton_server& node,
                                                          const std::string& id) {
  auto r = http_call(node.port(), "GET", "/api/v1/schedules/" + id);
  REQUIRE(r.status == 200);
  std::vector<std::pair<std::int64_t, std::string>> out;
  auto schedule = object_of(r);
  for (const auto& run : schedule.at("runs").as_array()) {
    const auto& o = run.as_object();
    out.emplace_back(o.at("fireMs").to_number<std::int64_t>(),
                     o.at("processId").is_string() ? text(o, "processId") : "");
  }
  return out;
}

/// Polls schedule `id` on `node` every 50 ms until a run fired at `at` or later is there.
bool wait_fired_since(const baton_server& node, const std::string& id, std::int64_t at) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto runs = runs_on(node, id);
    if (!runs.empty() && runs.back().first >= at) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

/// Every second from the first fire to the last, each once, each with a process of its own:
/// nothing fired twice by two owners, nothing lost in between.
void check_every_second_once(const baton_server& node, const std::string& id) {
  auto runs = runs_on(node, id);
  INFO("schedule " << id);
  REQUIRE(runs.size() >= 4);
  std::set<std::string> processes;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    INFO("run " << i << " fired at " << runs[i].first);
    if (i > 0) CHECK(runs[i].first - runs[i - 1].first == 1000);
    CHECK_FALSE(runs[i].second.empty());
    CHECK(processes.insert(runs[i].second).second);
  }
  for (const auto& p : processes)
    CHECK(http_call(node.port(), "GET", "/api/v1/processes/" + p).status == 200);
}

TEST_CASE("a schedule due every second fires exactly once per fire time across a failover",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd);
  auto b = start_node("b", etcd);
  std::map<std::string, baton_server*> nodes{{"a", a.get()}, {"b", b.get()}};
  for (auto* n : {a.get(), b.get()}) wait_settled(*n, {"a", "b"});
  REQUIRE(deploy(a->port(), "Tick", waiting_definition).status / 100 == 2);
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  start_approval(*b);  // b has learned both definitions: the log keeps their order

  // One created on a, in a partition of a's (its fires are batched), and one created through
  // b in a scope of a's (b hands it to a; its fires start one by one in the scope's queue).
  auto every_second = [](const std::string& scope) {
    return R"({"definition":"Tick","cron":"* * * ? * *","timeZone":"UTC")" +
           (scope.empty() ? std::string{} : R"(,"scope":")" + scope + "\"") + "}";
  };
  auto created = http_call(a->port(), "POST", "/api/v1/schedules", every_second(""));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto batched = text(object_of(created), "id");
  created =
      http_call(b->port(), "POST", "/api/v1/schedules", every_second(scope_owned_by(*b, "a")));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto queued = text(object_of(created), "id");
  for (const auto& id : {batched, queued}) {
    CHECK(owner_of(id, *b, nodes) == a.get());
    REQUIRE(wait_fired_since(*b, id, wall_ms() + 1000));
  }

  a->kill9();
  wait_settled(*b, {"b"});
  for (const auto& id : {batched, queued}) {
    REQUIRE(wait_fired_since(*b, id, wall_ms() + 1000));
    REQUIRE(http_call(b->port(), "POST", "/api/v1/schedules/" + id + "/pause").status == 200);
  }
  for (const auto& id : {batched, queued}) check_every_second_once(*b, id);
}

namespace {

/// Polls `GET /api/v1/processes` on `node` with API key `key` every 50 ms until it answers
/// `status`: a node learns of a change made on another through the log, a moment later.
bool wait_key_answers(const baton_server& node, const std::string& key, int status) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_call(node.port(), "GET", "/api/v1/processes", {}, key_header(key)).status == status)
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

TEST_CASE("clients and their keys made on one node hold on every node", "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto a = start_node("a", etcd, {}, /*auth=*/true);  // ready: it made the admin
  auto b = start_node("b", etcd, {}, /*auth=*/true);

  // One admin for the cluster, made by the first node; its key works on both.
  auto admin = admin_key(*a);
  REQUIRE_FALSE(admin.empty());
  CHECK(admin_key(*b).empty());
  CHECK(wait_key_answers(*b, admin, 200));

  // A client made on b works on a; its key rotated on a stops working on b.
  auto robot = create_client(b->port(), admin, "robot", "runner", R"(["*"])");
  CHECK(wait_key_answers(*a, robot.api_key, 200));
  auto rotated =
      http_call(a->port(), "POST", "/api/v1/clients/robot/rotate", "{}", key_header(admin));
  INFO(rotated.body);
  REQUIRE(rotated.status == 200);
  CHECK(wait_key_answers(*b, robot.api_key, 401));
  auto fresh = text(object_of(rotated), "apiKey");
  CHECK(wait_key_answers(*b, fresh, 200));
}

TEST_CASE("a client name is created once in the cluster, whichever nodes ask at once",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto [a, b] = two_nodes(etcd);
  // Each round, both nodes are asked for the same new name at the same moment.
  for (int round = 0; round < 5; ++round) {
    auto body = R"({"name":"twin-)" + std::to_string(round) + R"(","role":"runner"})";
    auto on = [&body](const baton_server& node) {
      return std::async(std::launch::async, [&node, body] {
        return http_call(node.port(), "POST", "/api/v1/clients", body);
      });
    };
    auto from_a = on(*a);
    auto from_b = on(*b);
    std::multiset<int> statuses{from_a.get().status, from_b.get().status};
    INFO("round " << round);
    CHECK(statuses == std::multiset<int>{201, 409});
  }
  // And a name one node made is refused on the other, however soon after.
  REQUIRE(http_call(a->port(), "POST", "/api/v1/clients", R"({"name":"solo","role":"runner"})")
              .status == 201);
  CHECK(http_call(b->port(), "POST", "/api/v1/clients", R"({"name":"solo","role":"runner"})")
            .status == 409);
}

TEST_CASE("the log is kept as long as a member needs it, and trimmed once none does",
          "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto [a, b] = two_nodes(etcd);
  REQUIRE(deploy(a->port(), "Approval", waiting_definition).status / 100 == 2);
  for (int i = 0; i < 20; ++i) start_approval(*a);
  // Both have applied it all: the owner of partition 0 trims, etcd's history is compacted.
  auto wait_metric = [](const baton_server& n, std::string_view name, auto holds) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (holds(metric(n, name))) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  auto trimmed_anywhere = [&] {
    return metric(*a, "baton_cluster_log_trimmed_total") +
           metric(*b, "baton_cluster_log_trimmed_total");
  };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (trimmed_anywhere() <= 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  CHECK(trimmed_anywhere() > 0);
  // Each node has said how far its store holds the log.
  auto all_said = [&] {
    auto view = cluster_of(*a);
    const auto& nodes = view.at("nodes").as_array();
    return std::all_of(nodes.begin(), nodes.end(), [](const json::value& n) {
      return n.as_object().at("appliedRevision").as_int64() > 0;
    });
  };
  deadline = std::chrono::steady_clock::now() + 10s;
  while (!all_said() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(all_said());

  // b stops; what a writes meanwhile is kept for it, and it catches up when it returns.
  REQUIRE(b->stop() == 0);
  wait_settled(*a, {"a"});
  const auto b_left_at = metric(*a, "baton_cluster_log_seen_revision");
  std::vector<std::string> while_away;
  for (int i = 0; i < 10; ++i) while_away.push_back(start_approval(*a));
  CHECK(wait_metric(*a, "baton_cluster_log_applied_total", [](auto n) { return n > 0; }));
  b->start();
  for (const auto& id : while_away) CHECK(wait_status_on(*b, id, "RUNNING"));

  // A node that will not come back is forgotten; only then does the log go on without it.
  REQUIRE(b->stop() == 0);
  wait_settled(*a, {"a"});
  CHECK(http_call(a->port(), "DELETE", "/api/v1/cluster/nodes/a").status == 409);
  CHECK(http_call(a->port(), "DELETE", "/api/v1/cluster/nodes/nobody").status == 404);
  auto forgotten = http_call(a->port(), "DELETE", "/api/v1/cluster/nodes/b");
  INFO(forgotten.body);
  REQUIRE(forgotten.status == 204);
  const auto b_stopped_at = metric(*a, "baton_cluster_log_seen_revision");
  for (int i = 0; i < 10; ++i) start_approval(*a);
  CHECK(wait_metric(*a, "baton_cluster_log_floor_revision",
                    [&](auto n) { return n > b_stopped_at; }));
  CHECK(b_stopped_at > b_left_at);
  // b's folder is behind the trimmed log now: it starts from a copy of a's store (the old
  // one kept aside), and then holds everything, also what was started while it was gone.
  std::vector<std::string> after_forgotten;
  for (int i = 0; i < 3; ++i) after_forgotten.push_back(start_approval(*a));
  b->start();
  for (const auto& id : while_away) CHECK(wait_status_on(*b, id, "RUNNING"));
  for (const auto& id : after_forgotten) CHECK(wait_status_on(*b, id, "RUNNING"));
  bool kept_aside = false;
  for (const auto& entry : std::filesystem::directory_iterator(b->data_dir() / "data"))
    kept_aside = kept_aside || entry.path().filename().string().starts_with("db.behind-");
  CHECK(kept_aside);
  // And it takes its share of the work again: a start through it is acknowledged.
  CHECK_FALSE(start_approval(*b).empty());
  REQUIRE(b->stop() == 0);

  // With no other node alive to copy from, a node behind the log says so and does not run
  // half caught up.
  temp_dir empty;
  REQUIRE(a->stop() == 0);
  auto behind = run_command(
      "timeout 60 " + std::string(BATON_BINARY) + " serve --listen 127.0.0.1:0 --data " +
      (empty.path() / "data").string() + " --node c --etcd " + etcd.endpoint(0) + " 2>&1");
  CHECK(behind.exit_code == 1);
  CHECK(behind.output.find("trimmed") != std::string::npos);
}

namespace {

constexpr std::string_view job_definition =
    R"({"steps":[{"id":"price","kind":"job","type":"pricing","params":{"price":"double"}}]})";

test_response activate_on(const baton_server& node, int wait_ms) {
  return http_call(node.port(), "POST", "/api/v1/jobs/activate",
                   R"({"type":"pricing","worker":"w","max":5,"leaseMs":60000,"waitMs":)" +
                       std::to_string(wait_ms) + "}");
}

double parked_polls(const baton_server& node) {
  return sample(http_call(node.port(), "GET", "/metrics").body, "baton_job_polls_parked");
}

/// Starts a Pricing process through `node` (in a partition it owns), retrying while the
/// definition deployed through another node has not reached it yet.
std::string start_pricing(const baton_server& node) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  test_response r;
  do {
    r = http_call(node.port(), "POST", "/api/v1/processes", R"({"definition":"Pricing"})");
  } while (r.status == 404 && std::chrono::steady_clock::now() < deadline &&
           (std::this_thread::sleep_for(20ms), true));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text(object_of(r), "id");
}

}  // namespace

TEST_CASE("a worker polling any node gets the jobs of every node's partitions", "[e2e][cluster]") {
  etcd_cluster etcd(1);
  auto [a, b] = two_nodes(etcd);
  REQUIRE(deploy(a->port(), "Pricing", job_definition).status / 100 == 2);

  // A job on b's board, polled through a without a wait.
  const std::map<std::string, baton_server*> nodes{{"a", a.get()}, {"b", b.get()}};
  auto first = start_pricing(*b);
  REQUIRE(owner_of(first, *a, nodes) == b.get());
  auto got = activate_on(*a, 0);
  INFO(got.body);
  REQUIRE(got.status == 200);
  auto jobs = object_of(got).at("jobs").as_array();
  REQUIRE(jobs.size() == 1);
  CHECK(text(jobs[0].as_object(), "processId") == first);
  auto key = text(jobs[0].as_object(), "key");
  auto token = text(jobs[0].as_object().at("lease").as_object(), "token");
  auto done = http_call(a->port(), "POST", "/api/v1/jobs/" + key + "/complete",
                        R"({"leaseToken":")" + token + R"(","params":{"price":2.5}})");
  INFO(done.body);
  CHECK(done.status == 200);

  // A long poll parked through a is answered by a job that appears on b, and the polls it
  // left on the boards are called off.
  auto poll = std::async(std::launch::async, [&] { return activate_on(*a, 20'000); });
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((parked_polls(*a) < 1 || parked_polls(*b) < 1) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(parked_polls(*b) == 1);
  auto second = start_pricing(*b);
  REQUIRE(owner_of(second, *a, nodes) == b.get());
  auto answered = poll.get();
  INFO(answered.body);
  REQUIRE(answered.status == 200);
  auto second_jobs = object_of(answered).at("jobs").as_array();
  REQUIRE(second_jobs.size() == 1);
  CHECK(text(second_jobs[0].as_object(), "processId") == second);
  deadline = std::chrono::steady_clock::now() + 10s;
  while ((parked_polls(*a) > 0 || parked_polls(*b) > 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  CHECK(parked_polls(*a) == 0);
  CHECK(parked_polls(*b) == 0);
}
