#include "storage/process_store.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <climits>
#include <string>
#include <vector>

#include "model/ids.hpp"
#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using model::process_status;
using model::value;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace {

/// A process that uses every field of a snapshot and a value of every kind.
model::process_state rich_process(std::string id) {
  model::process_state p;
  p.id = std::move(id);
  p.definition = "LoanApproval";
  p.version = 7;
  p.scope = "tenant-1";
  p.status = process_status::running;
  p.vals["null"] = value{};
  p.vals["text"] =
      value::of_string("quote \" backslash \\ nl \n tab \t ctl \x01 \xc3\xbc \xe2\x82\xac");
  p.vals["empty"] = value::of_string("");
  p.vals["neg"] = value::of_integer(-42);
  p.vals["max"] = value::of_integer(INT64_MAX);
  p.vals["min"] = value::of_integer(INT64_MIN);
  p.vals["pi"] = value::of_number(3.25);
  p.vals["whole"] = value::of_number(2.0);
  p.vals["tiny"] = value::of_number(1e-300);
  p.vals["yes"] = value::of_bool(true);
  p.vals["no"] = value::of_bool(false);
  p.vals["obj"] = value::of_json(R"({"a":[1,2,{"b":null}],"c":"d"})");
  p.vals["arr"] = value::of_json(R"([1,"x",true])");
  p.vals["key \"quoted\""] = value::of_string("k");
  p.outputs["decision"] = value::of_string("approved");
  p.outputs["score"] = value::of_number(0.5);

  model::step_execution done;
  done.id = p.id + "-1";
  done.step = "compose";
  done.kind = model::step_kind::script;
  done.status = model::step_status::completed;
  done.created_ms = 1'700'000'000'000;
  done.modified_ms = 1'700'000'000'001;
  model::step_execution retrying;
  retrying.id = p.id + "-2";
  retrying.step = "fetch";
  retrying.kind = model::step_kind::http;
  retrying.status = model::step_status::started;
  retrying.attempt = 3;
  retrying.created_ms = 1'700'000'000'002;
  retrying.modified_ms = 1'700'000'000'003;
  retrying.due_ms = 1'700'000'009'000;
  retrying.retry_pending = true;
  retrying.error = "unexpected status 503";
  retrying.params["price"] = value::of_number(42.5);
  retrying.params["raw"] = value::of_json(R"({"x":1})");
  p.steps = {done, retrying};

  p.retry_count = 2;
  p.error = "previous \"error\"";
  p.created_ms = 1'700'000'000'000;
  p.updated_ms = 1'700'000'000'003;
  p.scenario = "happy";
  p.sandbox = true;
  p.worker = "worker-7";
  p.schedule_id = "sched-1";
  p.history_seq = 17;
  return p;
}

void check_same_step(const model::step_execution& a, const model::step_execution& b) {
  CHECK(a.id == b.id);
  CHECK(a.step == b.step);
  CHECK(a.kind == b.kind);
  CHECK(a.status == b.status);
  CHECK(a.attempt == b.attempt);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.modified_ms == b.modified_ms);
  CHECK(a.due_ms == b.due_ms);
  CHECK(a.retry_pending == b.retry_pending);
  CHECK(a.error == b.error);
  CHECK(a.params == b.params);
}

void check_same(const model::process_state& a, const model::process_state& b) {
  CHECK(a.id == b.id);
  CHECK(a.definition == b.definition);
  CHECK(a.version == b.version);
  CHECK(a.scope == b.scope);
  CHECK(a.status == b.status);
  for (const auto& [name, v] : b.vals) {
    INFO("value " << name);
    auto it = a.vals.find(name);
    REQUIRE(it != a.vals.end());
    CHECK(static_cast<int>(it->second.k) == static_cast<int>(v.k));
    CHECK(it->second == v);
  }
  CHECK(a.vals.size() == b.vals.size());
  CHECK(a.outputs == b.outputs);
  REQUIRE(a.steps.size() == b.steps.size());
  for (std::size_t i = 0; i < a.steps.size(); ++i) check_same_step(a.steps[i], b.steps[i]);
  CHECK(a.retry_count == b.retry_count);
  CHECK(a.error == b.error);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.updated_ms == b.updated_ms);
  CHECK(a.scenario == b.scenario);
  CHECK(a.sandbox == b.sandbox);
  CHECK(a.worker == b.worker);
  CHECK(a.schedule_id == b.schedule_id);
  CHECK(a.history_seq == b.history_seq);
}

model::process_state simple(std::string id, process_status status, std::string definition = "A",
                            std::string scope = {}) {
  model::process_state p;
  p.id = std::move(id);
  p.definition = std::move(definition);
  p.scope = std::move(scope);
  p.status = status;
  p.history_seq = 1;
  return p;
}

std::vector<std::string> ids_of(const storage::process_page& page) {
  std::vector<std::string> out;
  for (const auto& p : page.states) out.push_back(p.id);
  return out;
}

std::vector<std::string> active_ids(const storage::process_store& store) {
  std::vector<std::string> out;
  REQUIRE(store.for_each_active([&](model::process_state p) { out.push_back(p.id); }).ok());
  return out;
}

}  // namespace

TEST_CASE("a snapshot encodes and decodes every field and value kind", "[storage]") {
  auto p = rich_process("0000000003e8000100000001");
  auto stored = storage::encode_process(p);
  REQUIRE(stored.front() == storage::format_v2);
  auto decoded = storage::decode_process(stored);
  REQUIRE(decoded);
  check_same(*decoded, p);
  CHECK(*decoded == p);
  // Encoding the decoded state again gives the same bytes: nothing drifts across rewrites.
  CHECK(storage::encode_process(*decoded) == stored);
  // A damaged record does not decode: cut short, or with bytes after its end.
  CHECK_FALSE(storage::decode_process(std::string_view(stored).substr(0, stored.size() - 1)));
  CHECK_FALSE(storage::decode_process(stored + "x"));
}

TEST_CASE("decoding in place gives what decoding to a new value gives in both formats",
          "[storage]") {
  auto p = rich_process("0000000003e8000100000001");
  auto binary = storage::encode_process(p);
  model::process_state in_place;
  REQUIRE(storage::decode_process_into(binary, in_place));
  CHECK(in_place == p);

  // A record of the JSON release: the in-place form reads it through the same reader.
  std::string legacy = std::string(1, storage::format_v1) +
                       R"({"id":"0000000003e8000100000002","definition":"Pay","version":3,)"
                       R"("status":"WAITING","values":{},"outputs":{},"steps":[],)"
                       R"("createdMs":1000,"updatedMs":2000,"historySeq":4})";
  auto fresh = storage::decode_process(legacy);
  REQUIRE(fresh);
  model::process_state legacy_in_place;
  REQUIRE(storage::decode_process_into(legacy, legacy_in_place));
  CHECK(legacy_in_place == *fresh);
  CHECK(legacy_in_place.definition == "Pay");

  model::process_state refused;
  CHECK_FALSE(
      storage::decode_process_into(std::string(1, storage::format_v1) + "{not json", refused));
  CHECK_FALSE(storage::decode_process_into(binary + "x", refused));
  CHECK_FALSE(storage::decode_process_into("", refused));
}

TEST_CASE("decode_process refuses unknown formats and garbage", "[storage]") {
  CHECK_FALSE(storage::decode_process(""));
  CHECK_FALSE(storage::decode_process("{\"id\":\"x\"}"));  // no format byte
  CHECK_FALSE(storage::decode_process(std::string("\x02{\"id\":\"x\"}")));
  CHECK_FALSE(storage::decode_process(std::string("\x03") + storage::encode_process({}).substr(1)));
  CHECK_FALSE(storage::decode_process(std::string(1, storage::format_v1) + "{not json"));
}

TEST_CASE("a process snapshot survives close and reopen", "[storage]") {
  temp_dir dir;
  auto p = rich_process("0000000003e8000100000001");
  std::string snapshot;
  {
    auto store = open_store(dir, true);
    storage::batch b;
    snapshot = store->put_process(b, p, std::nullopt);
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir, true);
  auto raw = store->process_raw(p.id).value();
  REQUIRE(raw);
  CHECK(*raw == snapshot);
  auto loaded = store->load_process(p.id).value();
  REQUIRE(loaded);
  check_same(*loaded, p);
  CHECK_FALSE(store->load_process("0000000003e8000100000002").value());
}

TEST_CASE("status index and active markers follow transitions across reopen", "[storage]") {
  temp_dir dir;
  model::id_generator gen(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(gen.next(1'000 + i));
  {
    auto store = open_store(dir);
    // Created out of id order, so any ordering below comes from the keys.
    storage::batch created;
    store->put_process(created, simple(ids[5], process_status::running), std::nullopt);
    store->put_process(created, simple(ids[2], process_status::succeeded), std::nullopt);
    store->put_process(created, simple(ids[0], process_status::waiting), std::nullopt);
    store->put_process(created, simple(ids[4], process_status::waiting), std::nullopt);
    store->put_process(created, simple(ids[1], process_status::running), std::nullopt);
    store->put_process(created, simple(ids[3], process_status::running), std::nullopt);
    REQUIRE(commit(*store, std::move(created)).empty());
    CHECK(active_ids(*store) == std::vector<std::string>{ids[0], ids[1], ids[3], ids[4], ids[5]});

    storage::batch moved;
    store->put_process(moved, simple(ids[3], process_status::failed), process_status::running);
    store->put_process(moved, simple(ids[4], process_status::running), process_status::waiting);
    store->put_process(moved, simple(ids[5], process_status::cancelled), process_status::running);
    // Rewriting a snapshot without a status change keeps its index entries as they are.
    store->put_process(moved, simple(ids[1], process_status::running), process_status::running);
    REQUIRE(commit(*store, std::move(moved)).empty());
  }
  auto store = open_store(dir);
  std::vector<std::pair<std::string, process_status>> active;
  REQUIRE(
      store->for_each_active([&](model::process_state p) { active.emplace_back(p.id, p.status); })
          .ok());
  CHECK(active ==
        std::vector<std::pair<std::string, process_status>>{{ids[0], process_status::waiting},
                                                            {ids[1], process_status::running},
                                                            {ids[4], process_status::running}});

  auto by_status = [&](process_status s) {
    storage::process_query q;
    q.status = s;
    return ids_of(store->list(q).value());
  };
  CHECK(by_status(process_status::waiting) == std::vector<std::string>{ids[0]});
  CHECK(by_status(process_status::running) == std::vector<std::string>{ids[1], ids[4]});
  CHECK(by_status(process_status::succeeded) == std::vector<std::string>{ids[2]});
  CHECK(by_status(process_status::failed) == std::vector<std::string>{ids[3]});
  CHECK(by_status(process_status::cancelled) == std::vector<std::string>{ids[5]});
}

TEST_CASE("history comes back in sequence order, per process", "[storage]") {
  temp_dir dir;
  const std::string a = "0000000003e8000100000001";
  const std::string b = "0000000003e8000100000002";
  {
    auto store = open_store(dir);
    // Written newest first over several batches; 300 crosses the 0xff and 0x100 boundaries.
    for (int hi = 300; hi > 0; hi -= 50) {
      storage::batch batch;
      std::vector<model::history_entry> entries;
      for (int seq = hi; seq > hi - 50; --seq) {
        entries.push_back({static_cast<std::uint64_t>(seq), 1'000 + seq, "step_started",
                           a + "-" + std::to_string(seq),
                           "detail \"" + std::to_string(seq) + "\""});
      }
      store->put_history(batch, a, entries);
      store->put_history(batch, b, {{static_cast<std::uint64_t>(hi / 50), 5, "other", {}, {}}});
      REQUIRE(commit(*store, std::move(batch)).empty());
    }
  }
  auto store = open_store(dir);
  auto history = store->history(a).value();
  REQUIRE(history.size() == 300);
  for (std::size_t i = 0; i < history.size(); ++i) {
    CHECK(history[i].seq == i + 1);
    CHECK(history[i].at_ms == static_cast<std::int64_t>(1'001 + i));
    CHECK(history[i].step_id == a + "-" + std::to_string(i + 1));
  }
  CHECK(history[299].detail == "detail \"300\"");

  auto other = store->history(b).value();
  REQUIRE(other.size() == 6);
  CHECK(other.front().type == "other");
  CHECK(store->history("0000000003e8000100000003").value().empty());
}

TEST_CASE("one transition's history is one record, read back entry by entry", "[storage]") {
  temp_dir dir;
  const std::string id = "0000000003e8000100000001";
  const std::string legacy = "0000000003e8000100000002";
  {
    auto store = open_store(dir);
    storage::batch batch;
    store->put_history(batch, id,
                       {{2, 20, "process_started", {}, {}},
                        {1, 10, "process_created", {}, "Def v1"},
                        {3, 30, "step_started", id + "-1", "quote \" and \\ backslash"}});
    REQUIRE(commit(*store, std::move(batch)).empty());
    storage::batch later;
    store->put_history(later, id, {{4, 40, "process_succeeded", {}, {}}});
    // A history written one record per entry, as before records were folded, reads the same.
    store->put_history(later, legacy, {{1, 10, "process_created", {}, {}}});
    store->put_history(later, legacy, {{2, 20, "process_started", {}, {}}});
    REQUIRE(commit(*store, std::move(later)).empty());

    std::size_t records = 0;
    REQUIRE(store->database()
                .scan(storage::cf::history, id + "/", {},
                      [&](std::string_view, std::string_view) {
                        ++records;
                        return true;
                      })
                .ok());
    CHECK(records == 2);
  }
  auto store = open_store(dir);
  auto history = store->history(id).value();
  REQUIRE(history.size() == 4);
  for (std::size_t i = 0; i < history.size(); ++i) CHECK(history[i].seq == i + 1);
  CHECK(history[0].detail == "Def v1");
  CHECK(history[2].detail == "quote \" and \\ backslash");
  CHECK(history[2].step_id == id + "-1");
  CHECK(history[3].type == "process_succeeded");
  CHECK(history[3].at_ms == 40);
  CHECK(store->history(legacy).value().size() == 2);
}

TEST_CASE("a running process has no status index entry: RUNNING lists the active markers",
          "[storage]") {
  temp_dir dir;
  model::id_generator gen(1);
  auto parked = simple(gen.next(1'000), process_status::running);
  auto queued = simple(gen.next(1'001), process_status::waiting, "A", "s");
  auto legacy_running = simple(gen.next(1'002), process_status::running);
  auto legacy_ended = simple(gen.next(1'003), process_status::running);
  {
    auto store = open_store(dir);
    // A start that parks at once writes its snapshot and active marker, nothing more; its
    // end writes the snapshot, the terminal status entry and the marker's erase.
    storage::batch started;
    store->put_process(started, parked, std::nullopt);
    CHECK(started.count() == 2);
    REQUIRE(commit(*store, std::move(started)).empty());
    storage::batch b;
    store->put_process(b, queued, std::nullopt);
    // Data stored before this layout: "s/RUNNING/" entries beside the markers. One of
    // these processes ends now, which leaves its old entry behind, unread until the store
    // is opened again, which erases them all.
    for (const auto* p : {&legacy_running, &legacy_ended}) {
      store->put_process(b, *p, std::nullopt);
      b.put(storage::cf::indexes, "s/RUNNING/" + p->id, {});
    }
    // A marker from before needs were kept (empty) says nothing of the status.
    b.put(storage::cf::indexes, "a/" + queued.id, {});
    REQUIRE(commit(*store, std::move(b)).empty());
    storage::batch ended;
    legacy_ended.status = process_status::succeeded;
    store->put_process(ended, legacy_ended, process_status::running);
    CHECK(ended.count() == 3);
    REQUIRE(commit(*store, std::move(ended)).empty());
  }
  auto store = open_store(dir);
  std::size_t running_index = 0;
  REQUIRE(store->database()
              .scan(storage::cf::indexes, "s/RUNNING/", {},
                    [&](std::string_view, std::string_view) { return ++running_index, true; })
              .ok());
  CHECK(running_index == 0);
  auto by_status = [&](process_status s, bool newest_first = false) {
    storage::process_query q;
    q.status = s;
    q.newest_first = newest_first;
    return ids_of(store->list(q).value());
  };
  CHECK(by_status(process_status::running) ==
        std::vector<std::string>{parked.id, legacy_running.id});
  CHECK(by_status(process_status::running, true) ==
        std::vector<std::string>{legacy_running.id, parked.id});
  CHECK(by_status(process_status::waiting) == std::vector<std::string>{queued.id});
  CHECK(by_status(process_status::succeeded) == std::vector<std::string>{legacy_ended.id});
  storage::process_query paged;  // the cursor works over the markers as over an index
  paged.status = process_status::running;
  paged.limit = 1;
  auto page = store->list(paged).value();
  CHECK(ids_of(page) == std::vector<std::string>{parked.id});
  paged.after = page.next;
  CHECK(ids_of(store->list(paged).value()) == std::vector<std::string>{legacy_running.id});
}

TEST_CASE("list filters by status, definition and scope and pages with a cursor", "[storage]") {
  temp_dir dir;
  model::id_generator gen(1);
  std::vector<model::process_state> all;
  {
    auto store = open_store(dir);
    storage::batch b;
    const process_status cycle[] = {process_status::running, process_status::succeeded,
                                    process_status::waiting};
    for (int i = 0; i < 12; ++i) {
      auto p = simple(gen.next(1'000 + i), cycle[i % 3], i % 2 ? "B" : "A", i % 4 ? "s1" : "");
      store->put_process(b, p, std::nullopt);
      all.push_back(p);
    }
    for (int i = 0; i < 2; ++i) {
      auto p = simple(gen.next(2'000 + i), process_status::running, "A");
      p.sandbox = true;
      store->put_process(b, p, std::nullopt);
    }
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  auto expect = [&](auto pred) {
    std::vector<std::string> out;
    for (const auto& p : all) {
      if (pred(p)) out.push_back(p.id);
    }
    return out;
  };
  auto list = [&](storage::process_query q) { return ids_of(store->list(q).value()); };

  SECTION("filters") {
    storage::process_query q;
    CHECK(list(q) == expect([](auto&) { return true; }));
    q.definition = "A";
    CHECK(list(q) == expect([](auto& p) { return p.definition == "A"; }));
    q.definition.clear();
    q.scope = "s1";
    CHECK(list(q) == expect([](auto& p) { return p.scope == "s1"; }));
    q.scope.clear();
    q.status = process_status::running;
    q.definition = "B";
    CHECK(list(q) == expect([](auto& p) {
            return p.definition == "B" && p.status == process_status::running;
          }));
    storage::process_query sandbox;
    sandbox.sandbox = true;
    CHECK(list(sandbox).size() == 2);
    sandbox.status = process_status::running;
    CHECK(list(sandbox).size() == 2);
    storage::process_query none;
    none.definition = "Nope";
    auto page = store->list(none).value();
    CHECK(page.states.empty());
    CHECK(page.next.empty());
  }

  SECTION("cursor paging") {
    auto page_through = [&](storage::process_query q) {
      std::vector<std::string> seen;
      for (int pages = 0; pages < 20; ++pages) {
        auto page = store->list(q).value();
        CHECK(page.states.size() <= q.limit);
        for (auto& id : ids_of(page)) seen.push_back(id);
        if (page.next.empty()) return seen;
        CHECK(page.next == seen.back());
        q.after = page.next;
      }
      FAIL("paging did not end");
      return seen;
    };
    storage::process_query q;
    q.limit = 5;
    auto first = store->list(q).value();
    CHECK(first.states.size() == 5);
    CHECK(first.next == all[4].id);
    CHECK(page_through(q) == expect([](auto&) { return true; }));
    q.limit = 4;  // 12 items: the third page is full and the last
    CHECK(page_through(q) == expect([](auto&) { return true; }));
    q.limit = 1;
    q.status = process_status::waiting;
    CHECK(page_through(q) == expect([](auto& p) { return p.status == process_status::waiting; }));
    q.status.reset();
    q.limit = 2;
    q.scope = "s1";
    q.definition = "B";
    CHECK(page_through(q) ==
          expect([](auto& p) { return p.scope == "s1" && p.definition == "B"; }));
  }
}

TEST_CASE("definition versions survive close and reopen, oldest first per name", "[storage]") {
  auto parse = [](std::string_view json) {
    auto parsed = storage::parse_definition(json);
    if (auto* problems = std::get_if<std::vector<model::definition_problem>>(&parsed)) {
      FAIL("definition rejected: " << problems->front().to_string());
    }
    return std::get<model::definition>(parsed);
  };
  auto v1 = parse(R"({"name":"Alpha","inputs":{"n":{"type":"long","default":3}},
      "outputs":["x"],"steps":[{"id":"s","kind":"script","set":{"x":"${n}"}}]})");
  auto v2 = parse(R"({"name":"Alpha","outputs":["x"],"steps":[
      {"id":"call","kind":"http","http":{"url":"http://h/p","map":{"x":"/x"}},
       "retry":{"count":2,"backoff":"exponential","initialMs":100,"maxMs":800}}]})");
  auto v10 = parse(R"({"name":"Alpha","steps":[{"id":"wait","kind":"timer","duration":"5s"}]})");
  auto beta = parse(R"({"name":"Beta","steps":[{"id":"e","kind":"external",
      "params":{"ok":"bool"}}]})");
  auto alpha2 = parse(R"({"name":"Alpha2","steps":[{"id":"f","kind":"fail","message":"no"}]})");
  v1.version = 1;
  v2.version = 2;
  v10.version = 10;
  beta.version = 1;
  alpha2.version = 3;
  temp_dir dir;
  {
    auto store = open_store(dir);
    storage::batch b;
    for (auto* d : {&v10, &beta, &v2, &alpha2, &v1}) store->put_definition(b, *d);
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  auto defs = store->load_definitions().value();
  std::vector<std::pair<std::string, std::int64_t>> order;
  for (const auto& d : defs) order.emplace_back(d.name, d.version);
  CHECK(order == std::vector<std::pair<std::string, std::int64_t>>{
                     {"Alpha", 1}, {"Alpha", 2}, {"Alpha", 10}, {"Alpha2", 3}, {"Beta", 1}});
  REQUIRE(defs.size() == 5);
  CHECK(defs[0].source == v1.source);
  CHECK(defs[0].id == model::id_from_name("Alpha"));
  REQUIRE(defs[0].inputs.size() == 1);
  CHECK(defs[0].inputs[0].type == model::value_type::long_);
  CHECK(defs[0].inputs[0].default_value == value::of_integer(3));
  REQUIRE(defs[1].steps.size() == 1);
  REQUIRE(defs[1].steps[0].retry);
  CHECK(defs[1].steps[0].retry->count == 2);
  CHECK(defs[1].steps[0].retry->backoff == model::backoff_kind::exponential);
  CHECK(defs[1].steps[0].http.map == std::vector<std::pair<std::string, std::string>>{{"x", "/x"}});
  CHECK(defs[2].steps[0].duration == "5s");
  CHECK(defs[4].steps[0].params.size() == 1);
}

TEST_CASE("a retirement is a record of its own beside the versions, erased by a new deploy",
          "[storage]") {
  auto alpha = std::get<model::definition>(
      storage::parse_definition(R"({"name":"Alpha","steps":[{"id":"s","kind":"external"}]})"));
  temp_dir dir;
  {
    auto store = open_store(dir);
    storage::batch b;
    store->put_definition(b, alpha);
    store->put_retirement(b, "Alpha", {1'700'000'000'000, "ops"});
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  {
    auto store = open_store(dir);
    // The retirement is no version: every version still loads, and nothing else.
    REQUIRE(store->load_definitions().value().size() == 1);
    auto retired = store->load_retirements().value();
    REQUIRE(retired.count("Alpha") == 1);
    CHECK(retired.at("Alpha") == model::retirement{1'700'000'000'000, "ops"});
    storage::batch b;
    store->erase_retirement(b, "Alpha");
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  CHECK(open_store(dir)->load_retirements().value().empty());
}

TEST_CASE("idempotency keys survive close and reopen", "[storage]") {
  temp_dir dir;
  {
    auto store = open_store(dir, true);
    storage::batch b;
    store->put_idempotent_answer(b, "order-1", "0000000003e8000100000001");
    store->put_idempotent_answer(b, "order-2", "0000000003e8000100000002");
    store->put_idempotent_answer(b, "order-1", "0000000003e8000100000009");  // later write wins
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir, true);
  CHECK(store->idempotent_answer("order-1").value() == "0000000003e8000100000009");
  CHECK(store->idempotent_answer("order-2").value() == "0000000003e8000100000002");
  CHECK_FALSE(store->idempotent_answer("order-3").value());
  CHECK_FALSE(store->idempotent_answer("").value());
}

TEST_CASE("list pages newest first by page number within a creation-time window", "[storage]") {
  temp_dir dir;
  auto store = open_store(dir);
  model::id_generator gen(1);
  std::vector<std::string> ids;  // created at 10'000, 11'000, … 19'000 ms
  storage::batch b;
  for (int i = 0; i < 10; ++i) {
    auto p = simple(gen.next(10'000 + 1'000 * i),
                    i % 2 ? process_status::running : process_status::succeeded);
    p.created_ms = 10'000 + 1'000 * i;
    store->put_process(b, p, std::nullopt);
    ids.push_back(p.id);
  }
  REQUIRE(commit(*store, std::move(b)).empty());
  std::reverse(ids.begin(), ids.end());  // newest first

  storage::process_query q;
  q.newest_first = true;
  q.limit = 3;
  auto page = store->list(q).value();
  CHECK(ids_of(page) == std::vector<std::string>(ids.begin(), ids.begin() + 3));
  CHECK(page.next == ids[2]);
  q.skip = 9;  // the last page holds the oldest alone and says it is the last
  page = store->list(q).value();
  CHECK(ids_of(page) == std::vector<std::string>{ids[9]});
  CHECK(page.next.empty());
  q.skip = 0;
  q.after = ids[2];  // a cursor works backwards too
  CHECK(ids_of(store->list(q).value()) ==
        std::vector<std::string>(ids.begin() + 3, ids.begin() + 6));

  storage::process_query window;
  window.newest_first = true;
  window.created_from_ms = 12'000;
  window.created_to_ms = 14'500;
  CHECK(ids_of(store->list(window).value()) == std::vector<std::string>{ids[5], ids[6], ids[7]});
  window.newest_first = false;
  CHECK(ids_of(store->list(window).value()) == std::vector<std::string>{ids[7], ids[6], ids[5]});
  window.status = process_status::running;  // 13'000 only
  CHECK(ids_of(store->list(window).value()) == std::vector<std::string>{ids[6]});
  window.newest_first = true;
  CHECK(ids_of(store->list(window).value()) == std::vector<std::string>{ids[6]});
}

TEST_CASE("callback targets and outbox entries survive reopen, in order per process", "[storage]") {
  temp_dir dir;
  std::vector<std::string> keys;
  {
    auto store = open_store(dir);
    storage::batch b;
    model::callback_target target{
        "http://hooks.example/x", {{"x-api-key", "s\"ecret"}}, "workfloo"};
    store->put_callback(b, "p1", target);
    keys.push_back(store->put_outbox(b, "p1", 2, "\x01{\"id\":\"p1\"}"));
    keys.push_back(store->put_outbox(b, "p1", 10, "\x01{\"id\":\"p1\",\"n\":10}"));
    keys.push_back(store->put_outbox(b, "p2", 1, "\x01{\"id\":\"p2\"}"));
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  auto target = store->callback("p1").value();
  REQUIRE(target);
  CHECK(target->url == "http://hooks.example/x");
  CHECK(target->format == "workfloo");
  CHECK(target->headers ==
        std::vector<std::pair<std::string, std::string>>{{"x-api-key", "s\"ecret"}});
  CHECK_FALSE(store->callback("p2").value());

  std::vector<std::string> seen;
  REQUIRE(
      store
          ->for_each_outbox([&](std::string_view key, std::string_view) { seen.emplace_back(key); })
          .ok());
  CHECK(seen == keys);  // seq 2 before seq 10, though "10" < "2" as text
  CHECK(storage::process_store::process_of_outbox_key(keys[1]) == "p1");
  CHECK(*store->outbox_raw(keys[2]).value() == "\x01{\"id\":\"p2\"}");

  storage::batch b;
  store->erase_outbox(b, keys[0]);
  REQUIRE(commit(*store, std::move(b)).empty());
  seen.clear();
  REQUIRE(
      store
          ->for_each_outbox([&](std::string_view key, std::string_view) { seen.emplace_back(key); })
          .ok());
  CHECK(seen == std::vector<std::string>{keys[1], keys[2]});
}

TEST_CASE("the active marker keeps what a process needs after a restart", "[storage]") {
  temp_dir dir;
  model::id_generator gen(1);
  auto queued = simple(gen.next(1'000), process_status::waiting, "A", "a|scope");
  auto timer = simple(gen.next(1'001), process_status::running);
  timer.steps.push_back({timer.id + "-1",
                         "nap",
                         model::step_kind::timer,
                         model::step_status::started,
                         1,
                         0,
                         0,
                         1'700'000'000'123,
                         false,
                         {},
                         {}});
  auto legacy = simple(gen.next(1'002), process_status::running, "A", "s");
  legacy.steps.push_back({legacy.id + "-1",
                          "call",
                          model::step_kind::http,
                          model::step_status::started,
                          1,
                          0,
                          0,
                          0,
                          false,
                          {},
                          {}});
  {
    auto store = open_store(dir);
    storage::batch b;
    store->put_process(b, queued, std::nullopt);
    store->put_process(b, timer, std::nullopt);
    store->put_process(b, legacy, std::nullopt);
    // A marker written before needs were kept there: empty.
    b.put(storage::cf::indexes, "a/" + legacy.id, {});
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir);
  std::vector<std::pair<std::string, model::recovery_need>> seen;
  REQUIRE(store
              ->for_each_recovery_need([&](std::string_view id, model::recovery_need need) {
                seen.emplace_back(id, need);
              })
              .ok());
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].first == queued.id);
  CHECK(seen[0].second == model::recovery_need{model::recovery_kind::queued, 0, {}, "a|scope"});
  CHECK(seen[1].first == timer.id);
  CHECK(seen[1].second ==
        model::recovery_need{model::recovery_kind::timer, 1'700'000'000'123, timer.id + "-1", {}});
  CHECK(seen[2].first == legacy.id);  // from its snapshot
  CHECK(seen[2].second == model::recovery_need{model::recovery_kind::reissue, 0, {}, "s"});

  // Every kind reads back as written; "children" came last and takes the next letter.
  for (auto kind :
       {model::recovery_kind::none, model::recovery_kind::queued, model::recovery_kind::timer,
        model::recovery_kind::retry, model::recovery_kind::reissue, model::recovery_kind::job,
        model::recovery_kind::children}) {
    model::recovery_need need{kind, 42, "p-1", "s"};
    CHECK(storage::decode_recovery_need(storage::encode_recovery_need(need)) == need);
  }

  CHECK_FALSE(storage::decode_recovery_need(""));
  CHECK_FALSE(storage::decode_recovery_need("\x01z0||"));
  CHECK_FALSE(storage::decode_recovery_need("\x01t12"));
}

TEST_CASE("a job lease is stored last, and a snapshot from before leases reads unleased",
          "[storage][job]") {
  auto p = rich_process("0000000003e8000100000002");
  auto unleased = storage::encode_process(p);
  p.lease = {p.id + "-1", "0123456789abcdef", "worker-1", 1'700'000'000'000};
  auto leased = storage::encode_process(p);
  auto decoded = storage::decode_process(leased);
  REQUIRE(decoded);
  CHECK(decoded->lease == p.lease);
  CHECK(*decoded == p);
  // An empty lease is three empty strings and an 8-byte time, the empty awaited message after
  // it three empty strings, and no parent, entry or children four empty fields: what a
  // snapshot written before job steps lacks. Without them, the snapshot reads whole, unleased.
  auto before_leases = unleased.substr(0, unleased.size() - 11 - 3 - 4);
  auto old = storage::decode_process(before_leases);
  REQUIRE(old);
  CHECK_FALSE(old->lease.held());
  p.lease = {};
  CHECK(*old == p);
  // Cut inside the lease, the record is damaged.
  CHECK_FALSE(
      storage::decode_process(std::string_view(leased).substr(0, leased.size() - 4 - 3 - 3)));
}

TEST_CASE(
    "a child's parent and a parent's children are stored last, and older snapshots read "
    "without them",
    "[storage][children]") {
  auto p = rich_process("0000000003e8000100000002");
  auto plain = storage::encode_process(p);
  p.parent_id = "0000000003e8000100000001";
  p.parent_step = p.parent_id + "-1";
  p.entry = "credit";
  p.children = {{p.id + ".1",
                 p.id + "-1",
                 2,
                 3,
                 model::process_status::succeeded,
                 {{"score", model::value::of_integer(7)}},
                 ""},
                {p.id + ".2", p.id + "-1", 2, 4, model::process_status::waiting, {}, "x"}};
  auto decoded = storage::decode_process(storage::encode_process(p));
  REQUIRE(decoded);
  CHECK(*decoded == p);
  // A snapshot from before children ends after the awaited message.
  auto old = storage::decode_process(std::string_view(plain).substr(0, plain.size() - 4));
  REQUIRE(old);
  CHECK(old->children.empty());
  CHECK(old->parent_id.empty());
}
