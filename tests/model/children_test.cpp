// Steps that run child processes and wait for them: a sub-process, the branches of a parallel
// step, the items of a forEach. The parent's side is the pure state machine: it starts its
// children (fx_start_child) and learns of their ends (ev_child_ended); the engine does the
// rest (tests/e2e/children_test.cpp).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model/process.hpp"
#include "tests/model/process_harness.hpp"

using namespace baton::model;
using namespace baton::model::testing;

namespace {

step subprocess(std::string id, std::string child,
                std::vector<std::pair<std::string, std::string>> map = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::subprocess;
  s.child_definition = std::move(child);
  s.child_values = {{"applicant", "${name}"}};
  s.map = std::move(map);
  return s;
}

step parallel(std::string id, std::vector<std::vector<std::string>> branches, join_rule join = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::parallel;
  s.branches = std::move(branches);
  s.join = join;
  return s;
}

step for_each(std::string id, std::vector<std::string> body, bool in_parallel, int limit = 0) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::for_each;
  s.items = "${guarantors}";
  s.item_name = "g";
  s.branches = {std::move(body)};
  s.in_parallel = in_parallel;
  s.limit = limit;
  s.map = {{"signatures", "signature"}};
  return s;
}

step external(std::string id) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::external;
  return s;
}

ev_child_ended ended(const fx_start_child& fx, process_status status, values vals = {},
                     std::string error = {}) {
  return {fx.step_id, fx.child_id, status, vals, vals, std::move(error)};
}

join_rule at_least(int n) { return {join_rule::kind::at_least, n}; }

}  // namespace

TEST_CASE("a sub-process starts a child with its values and maps the child's outputs") {
  harness h(make_definition(
      "Loan", {subprocess("kyc", "KycCheck", {{"kycScore", "score"}}), external("after")}));
  h.state.vals["name"] = value::of_string("Ada");
  h.send(ev_admitted{});
  auto starts = h.effects<fx_start_child>();
  REQUIRE(starts.size() == 1);
  CHECK(starts[0].child_id == "p1.1");
  CHECK(starts[0].step_id == "p1-1");
  CHECK(starts[0].definition == "KycCheck");
  CHECK(starts[0].entry.empty());
  CHECK(starts[0].vals.at("applicant") == value::of_string("Ada"));
  REQUIRE(h.state.children.size() == 1);
  CHECK(h.state.children[0].status == process_status::running);
  CHECK(recovery_need_of(h.state).kind == recovery_kind::children);
  CHECK(resume_effects(h.state, h.def) == std::vector<effect>{starts[0]});

  h.send(ended(starts[0], process_status::succeeded,
               {{"score", value::of_integer(7)}, {"other", value::of_bool(true)}}));
  CHECK(h.state.vals.at("kycScore") == value::of_integer(7));
  CHECK_FALSE(h.state.vals.count("other"));
  CHECK(h.state.steps[0].status == step_status::completed);
  CHECK(h.state.children[0].status == process_status::succeeded);
  CHECK(h.exec().step == "after");
  SECTION("the same end told twice applies once") {
    CHECK(h.reject(ended(starts[0], process_status::succeeded)) ==
          "step is not waiting for this child");
  }
}

TEST_CASE("a failed sub-process fails its step, with a retry policy a new child runs") {
  auto kyc = subprocess("kyc", "KycCheck");
  SECTION("no retries: the process fails") {
    harness h(make_definition("Loan", {kyc}));
    h.send(ev_admitted{});
    auto fx = h.effects<fx_start_child>().at(0);
    h.send(ended(fx, process_status::failed, {}, "no such applicant"));
    CHECK(h.state.status == process_status::failed);
    CHECK(h.state.error.find("no such applicant") != std::string::npos);
  }
  SECTION("a retry starts another child") {
    kyc.retry = retries(1, 500);
    harness h(make_definition("Loan", {kyc}));
    h.send(ev_admitted{});
    auto first = h.effects<fx_start_child>().at(0);
    h.send(ended(first, process_status::cancelled));
    CHECK(h.exec().retry_pending);
    h.now += 500;
    h.send(ev_due{first.step_id});
    auto second = h.effects<fx_start_child>();
    REQUIRE(second.size() == 1);
    CHECK(second[0].child_id == "p1.2");
    CHECK(h.state.children.at(1).attempt == 2);
    // A late report of the first child changes nothing.
    CHECK_FALSE(h.reject(ended(first, process_status::succeeded)).empty());
    h.send(ended(second[0], process_status::succeeded));
    CHECK(h.state.status == process_status::succeeded);
  }
}

TEST_CASE("cancelling a parent cancels the children it waits for") {
  harness h(make_definition(
      "Checks", {parallel("checks", {{"credit"}, {"fraud"}}), script_step("credit", "credit", "ok"),
                 script_step("fraud", "fraud", "ok")}));
  h.send(ev_admitted{});
  REQUIRE(h.effects<fx_start_child>().size() == 2);
  h.send(ev_cancel{"customer withdrew"});
  auto cancels = h.effects<fx_cancel_children>();
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].ids == std::vector<std::string>{"p1.1", "p1.2"});
  CHECK(h.state.children[0].status == process_status::cancelled);
  CHECK(h.state.status == process_status::cancelled);
}

TEST_CASE("a parallel step runs each branch as a child and joins them") {
  auto def = make_definition(
      "Checks", {parallel("checks", {{"credit"}, {"fraud", "sanctions"}}),
                 script_step("credit", "creditOk", "yes"), script_step("fraud", "fraudOk", "yes"),
                 script_step("sanctions", "sanctionsOk", "yes"), external("decide")});
  CHECK(def.following(*def.step_index("fraud")) == def.step_index("sanctions"));
  CHECK(def.following(*def.step_index("sanctions")) == std::nullopt);
  CHECK(def.following(*def.step_index("checks")) == def.step_index("decide"));
  harness h(def);
  h.state.vals["loanId"] = value::of_string("L-1");
  h.send(ev_admitted{});
  auto starts = h.effects<fx_start_child>();
  REQUIRE(starts.size() == 2);
  CHECK(starts[0].entry == "credit");
  CHECK(starts[1].entry == "fraud");
  CHECK(starts[0].definition == "Checks");
  CHECK(starts[0].vals.at("loanId") == value::of_string("L-1"));

  SECTION("join all: after every branch, values merged in branch order") {
    h.send(ended(starts[1], process_status::succeeded,
                 {{"loanId", value::of_string("L-1")},
                  {"fraudOk", value::of_string("yes")},
                  {"sanctionsOk", value::of_string("yes")}}));
    CHECK(h.exec().step == "checks");
    h.send(ended(starts[0], process_status::succeeded,
                 {{"loanId", value::of_string("L-1")}, {"creditOk", value::of_string("yes")}}));
    CHECK(h.state.steps[0].status == step_status::completed);
    CHECK(h.state.vals.at("creditOk") == value::of_string("yes"));
    CHECK(h.state.vals.at("sanctionsOk") == value::of_string("yes"));
    CHECK(h.exec().step == "decide");
  }
  SECTION("a failed branch fails the step and cancels the others") {
    h.send(ended(starts[0], process_status::failed, {}, "bureau down"));
    CHECK(h.effects<fx_cancel_children>().at(0).ids == std::vector<std::string>{"p1.2"});
    CHECK(h.state.status == process_status::failed);
    CHECK(h.state.error.find("branch 0") != std::string::npos);
  }
}

TEST_CASE("join any and atLeast cancel the branches left, onBranchFailure continue") {
  auto three = [](join_rule join, bool keep_going) {
    auto p = parallel("quotes", {{"a"}, {"b"}, {"c"}}, join);
    p.continue_on_failure = keep_going;
    p.merge_last = true;
    return make_definition("Quotes",
                           {p, script_step("a", "quote", "1"), script_step("b", "quote", "2"),
                            script_step("c", "quote", "3")});
  };
  SECTION("any: the first success joins") {
    harness h(three(at_least(1), false));
    h.send(ev_admitted{});
    auto starts = h.effects<fx_start_child>();
    h.send(ended(starts[1], process_status::succeeded, {{"quote", value::of_string("2")}}));
    CHECK(h.state.status == process_status::succeeded);
    CHECK(h.state.vals.at("quote") == value::of_string("2"));
    CHECK(h.effects<fx_cancel_children>().at(0).ids == std::vector<std::string>{"p1.1", "p1.3"});
  }
  SECTION("atLeast 2 with failures continuing: fails once 2 cannot succeed") {
    harness h(three(at_least(2), true));
    h.send(ev_admitted{});
    auto starts = h.effects<fx_start_child>();
    h.send(ended(starts[0], process_status::failed));
    CHECK(h.state.status == process_status::running);
    h.send(ended(starts[1], process_status::failed));
    CHECK(h.state.status == process_status::failed);
    CHECK(h.state.error.find("only 1 of 3 branches can succeed") != std::string::npos);
  }
  SECTION("all, continuing: joins when every branch ended, with what succeeded") {
    harness h(three({}, true));
    h.send(ev_admitted{});
    auto starts = h.effects<fx_start_child>();
    h.send(ended(starts[0], process_status::failed));
    h.send(ended(starts[2], process_status::succeeded, {{"quote", value::of_string("3")}}));
    CHECK(h.state.status == process_status::running);
    h.send(ended(starts[1], process_status::succeeded, {{"quote", value::of_string("2")}}));
    CHECK(h.state.status == process_status::succeeded);
    CHECK(h.state.vals.at("quote") == value::of_string("3"));  // branch order: c after b
  }
}

TEST_CASE("forEach runs its steps once per item, in order or in parallel, and collects") {
  auto def = [](bool in_parallel, int limit) {
    return make_definition(
        "Sign", {for_each("sign", {"ask"}, in_parallel, limit), external("ask"), external("done")});
  };
  auto items = value::of_json(R"(["ann", {"name": "bob"}, 3])");
  SECTION("one at a time") {
    harness h(def(false, 0));
    h.state.vals["guarantors"] = items;
    h.send(ev_admitted{});
    auto first = h.effects<fx_start_child>();
    REQUIRE(first.size() == 1);
    CHECK(first[0].entry == "ask");
    CHECK(first[0].vals.at("g") == value::of_string("ann"));
    CHECK(h.state.children.size() == 3);
    CHECK(h.state.children[1].status == process_status::waiting);
    h.send(ended(first[0], process_status::succeeded, {{"signature", value::of_string("A")}}));
    auto second = h.effects<fx_start_child>();
    REQUIRE(second.size() == 1);
    CHECK(second[0].vals.at("g") == value::of_json(R"({"name": "bob"})"));
    h.send(ended(second[0], process_status::succeeded, {}));
    auto third = h.effects<fx_start_child>().at(0);
    CHECK(third.vals.at("g") == value::of_integer(3));
    h.send(ended(third, process_status::succeeded, {{"signature", value::of_string("C")}}));
    CHECK(h.exec().step == "done");
    CHECK(h.state.vals.at("signatures") == value::of_json(R"(["A",null,"C"])"));
  }
  SECTION("in parallel with a limit, collected in item order whatever the order of ends") {
    harness h(def(true, 2));
    h.state.vals["guarantors"] = items;
    h.send(ev_admitted{});
    auto first = h.effects<fx_start_child>();
    REQUIRE(first.size() == 2);
    h.send(ended(first[1], process_status::succeeded, {{"signature", value::of_string("B")}}));
    auto third = h.effects<fx_start_child>();
    REQUIRE(third.size() == 1);
    CHECK(third[0].child_id == "p1.3");
    h.send(ended(third[0], process_status::succeeded, {{"signature", value::of_string("C")}}));
    h.send(ended(first[0], process_status::succeeded, {{"signature", value::of_string("A")}}));
    CHECK(h.state.vals.at("signatures") == value::of_json(R"(["A","B","C"])"));
  }
  SECTION("a failed item fails the step and cancels the items running") {
    harness h(def(true, 0));
    h.state.vals["guarantors"] = items;
    h.send(ev_admitted{});
    auto starts = h.effects<fx_start_child>();
    REQUIRE(starts.size() == 3);
    h.send(ended(starts[1], process_status::failed, {}, "refused"));
    CHECK(h.effects<fx_cancel_children>().at(0).ids == std::vector<std::string>{"p1.1", "p1.3"});
    CHECK(h.state.status == process_status::failed);
  }
  SECTION("an empty list passes at once; a value that is no list fails") {
    harness empty(def(false, 0));
    empty.state.vals["guarantors"] = value::of_json("[]");
    empty.send(ev_admitted{});
    CHECK(empty.exec().step == "done");
    CHECK(empty.state.vals.at("signatures") == value::of_json("[]"));
    harness bad(def(false, 0));
    bad.state.vals["guarantors"] = value::of_string("ann");
    bad.send(ev_admitted{});
    CHECK(bad.state.status == process_status::failed);
  }
}

TEST_CASE("a branch run starts at its entry step and ends with its body") {
  auto def = make_definition("Checks", {parallel("checks", {{"fraud", "sanctions"}}),
                                        script_step("fraud", "fraudOk", "yes"),
                                        external("sanctions"), external("decide")});
  harness h(def);
  h.state.id = "p1.1";
  h.state.entry = "fraud";
  h.state.parent_id = "p1";
  h.send(ev_admitted{});
  CHECK(h.exec().step == "sanctions");
  h.send(ev_completed{h.exec().id, {}, {}, "me"});
  CHECK(h.state.status == process_status::succeeded);
  CHECK(h.state.steps.size() == 2);  // never "decide": that is the parent's
}

TEST_CASE("sub-processes nest no deeper than the limit") {
  harness h(make_definition("Loop", {subprocess("again", "Loop")}));
  h.state.id = "p1.1.1.1.1.1.1.1.1";
  h.send(ev_admitted{});
  CHECK(h.state.status == process_status::failed);
  CHECK(h.state.error.find("nest deeper") != std::string::npos);
}

TEST_CASE("definitions with bodies are checked") {
  auto problems_of = [](std::vector<step> steps) {
    definition d;
    d.name = "D";
    d.steps = std::move(steps);
    std::vector<std::string> out;
    for (const auto& p : validate(d)) out.push_back(p.to_string());
    return out;
  };
  auto has = [](const std::vector<std::string>& list, const std::string& part) {
    for (const auto& p : list)
      if (p.find(part) != std::string::npos) return true;
    return false;
  };
  SECTION("two branches setting one name conflict unless merge is last") {
    auto p = parallel("p", {{"a"}, {"b"}});
    auto found = problems_of({p, script_step("a", "x", "1"), script_step("b", "x", "2")});
    CHECK(has(found, "both set \"x\""));
    p.merge_last = true;
    CHECK(problems_of({p, script_step("a", "x", "1"), script_step("b", "x", "2")}).empty());
  }
  SECTION("a body step leads only inside its body; the main sequence never into one") {
    auto a = script_step("a", "x", "1");
    a.next = "end";
    auto found = problems_of({parallel("p", {{"a"}}), a, external("end")});
    CHECK(has(found, "outside its body"));
    auto jump = external("start");
    jump.next = "a";
    found = problems_of({jump, parallel("p", {{"a"}}), script_step("a", "x", "1")});
    CHECK(has(found, "runs only there"));
  }
  SECTION("unknown steps, a step in two bodies, atLeast beyond the branches") {
    CHECK(has(problems_of({parallel("p", {{"nope"}})}), "unknown step \"nope\""));
    CHECK(has(problems_of({parallel("p", {{"a"}, {"a"}}), script_step("a", "x", "1")}),
              "already in a body"));
    CHECK(has(problems_of({parallel("p", {{"a"}}, at_least(2)), script_step("a", "x", "1")}),
              "/join/atLeast"));
  }
  SECTION("forEach and subprocess need their fields") {
    step fe;
    fe.id = "fe";
    fe.kind = step_kind::for_each;
    auto found = problems_of({fe});
    CHECK(has(found, "/items"));
    CHECK(has(found, "/as"));
    CHECK(has(found, "/steps"));
    step sp;
    sp.id = "sp";
    sp.kind = step_kind::subprocess;
    CHECK(has(problems_of({sp}), "/definition"));
  }
}

TEST_CASE("a list value splits into its items") {
  auto items = list_items(
      value::of_json(R"([ "a\"b\u00e9\ud83d\ude00" , -2, 2.5, true, null, [1,[2]], {"k":"]"} ])"));
  REQUIRE(items);
  REQUIRE(items->size() == 7);
  CHECK((*items)[0] == value::of_string("a\"b\xc3\xa9\xf0\x9f\x98\x80"));
  CHECK((*items)[1] == value::of_integer(-2));
  CHECK((*items)[2] == value::of_number(2.5));
  CHECK((*items)[3] == value::of_bool(true));
  CHECK((*items)[4].is_null());
  CHECK((*items)[5] == value::of_json("[1,[2]]"));
  CHECK((*items)[6] == value::of_json(R"({"k":"]"})"));
  CHECK_FALSE(list_items(value::of_json(R"({"a":1})")));
  CHECK_FALSE(list_items(value::of_json("[1,")));
  CHECK_FALSE(list_items(value::of_string("[1]")));
  CHECK(list_of(*items) == value::of_json(R"(["a\"bé😀",-2,2.5,true,null,[1,[2]],{"k":"]"}])"));
}
