// Processes that run other processes, over HTTP against the real binary: the LoanOrigination
// example (a parallel credit and fraud check, the KycCheck sub-process, a message, a forEach
// over the guarantors) from start to decision; cancelling a parent; and kill -9 while
// branches, a child and items are under way, after which every acknowledged step is where it
// was and the process finishes exactly once.

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

std::string start_loan(std::uint16_t port, const std::string& loan) {
  return start(port, R"({"definition":"LoanOrigination","values":{"loanId":")" + loan +
                         R"(","applicant":"Ada","amount":5000,"guarantors":["ann","bob","cy"]}})");
}

/// The children of the process, as GET shows them.
json::array children_of(const json::object& p) {
  auto it = p.find("children");
  return it == p.end() ? json::array{} : it->value().as_array();
}

/// Waits until the process has `n` children RUNNING, each parked at a step; @returns their ids.
std::vector<std::string> running_children(std::uint16_t port, const std::string& id,
                                          std::size_t n) {
  std::vector<std::string> ids;
  wait_until(port, id, [&](const json::object& p) {
    ids.clear();
    for (const auto& c : children_of(p)) {
      const auto& child = c.as_object();
      if (text(child, "status") != "RUNNING") continue;
      // The parent lists a child as soon as it asks for its start: it may not exist yet.
      auto r = http_call(port, "GET", "/api/v1/processes/" + text(child, "processId"));
      if (r.status != 200) continue;
      auto cp = object_of(r);
      if (text(cp, "status") == "RUNNING" && !last_step_id(cp).empty())
        ids.push_back(text(child, "processId"));
    }
    return ids.size() == n;
  });
  REQUIRE(ids.size() == n);
  return ids;
}

/// Completes the step child `id` waits at, with `params` (plain JSON).
void complete_child(std::uint16_t port, const std::string& id, std::string_view params) {
  auto r = http_call(
      port, "POST",
      "/api/v1/processes/" + id + "/steps/" + last_step_id(get_process(port, id)) + "/complete",
      std::string(params));
  INFO(r.body);
  REQUIRE(r.status == 200);
}

/// The child among `ids` that runs step `step`.
std::string child_at(std::uint16_t port, const std::vector<std::string>& ids,
                     std::string_view step) {
  for (const auto& id : ids) {
    auto steps = get_process(port, id).at("steps").as_array();
    if (!steps.empty() && text(steps.back().as_object(), "step") == step) return id;
  }
  FAIL("no child runs step " << step);
  return {};
}

std::size_t count_history(std::uint16_t port, const std::string& id, std::string_view type) {
  auto items = history(port, id);
  return static_cast<std::size_t>(std::ranges::count_if(
      items, [&](const json::value& e) { return text(e.as_object(), "type") == type; }));
}

/// The message that completes the loan's documents step.
void documents_arrive(std::uint16_t port, const std::string& loan) {
  auto r =
      http_call(port, "POST", "/api/v1/messages",
                R"({"name":"loan-documents","correlation":")" + loan +
                    R"(","values":{"documentUrl":"https://example.com/)" + loan + R"(.pdf"}})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(object_of(r).at("completed").as_int64() == 1);
}

/// Waits until the loan process is at step `step`.
void wait_at(std::uint16_t port, const std::string& id, std::string_view step) {
  auto p = wait_until(port, id, [&](const json::object& p) {
    auto steps = p.at("steps").as_array();
    return !steps.empty() && text(steps.back().as_object(), "step") == step;
  });
  REQUIRE(text(p.at("steps").as_array().back().as_object(), "step") == step);
}

}  // namespace

TEST_CASE("a loan runs its checks in parallel, a sub-process, a message and a forEach",
          "[children]") {
  baton_server server;
  auto port = server.port();
  auto loan = start_loan(port, "L-100");

  // Two branches, each a child process of the same definition parked at its own step.
  auto branches = running_children(port, loan, 2);
  auto credit = child_at(port, branches, "credit");
  auto fraud = child_at(port, branches, "fraud");
  auto child = get_process(port, credit);
  CHECK(text(child.at("parent").as_object(), "processId") == loan);
  CHECK(text(child, "entryStep") == "credit");
  CHECK(text(child, "definition") == "LoanOrigination");
  complete_child(port, fraud, R"({"fraudCleared":true})");
  CHECK(text(get_process(port, loan), "status") == "RUNNING");
  complete_child(port, credit, R"({"creditScore":720})");

  // The join merged both branches' values; the KYC sub-process runs next.
  wait_at(port, loan, "kyc");
  auto p = get_process(port, loan);
  CHECK(p.at("values").as_object().at("creditScore").as_int64() == 720);
  CHECK(p.at("values").as_object().at("fraudCleared").as_bool());
  auto kyc = running_children(port, loan, 1);
  CHECK(text(get_process(port, kyc[0]), "definition") == "KycCheck");
  complete_child(port, kyc[0], R"({"kycStatus":"verified"})");

  wait_at(port, loan, "documents");
  documents_arrive(port, "L-100");

  // Three guarantors sign in parallel, in any order; the signatures come back in item order.
  auto signers = running_children(port, loan, 3);
  std::ranges::sort(signers);
  CHECK(text(get_process(port, signers[1]).at("values").as_object(), "guarantor") == "bob");
  complete_child(port, signers[2], R"({"signature":"cy-signed"})");
  complete_child(port, signers[0], R"({"signature":"ann-signed"})");
  complete_child(port, signers[1], R"({"signature":"bob-signed"})");

  auto done = wait_for_status(port, loan, "SUCCEEDED");
  REQUIRE(text(done, "status") == "SUCCEEDED");
  const auto& out = done.at("outputs").as_object();
  CHECK(text(out, "decision") == "approved");
  CHECK(text(out, "kycStatus") == "verified");
  CHECK(text(out, "documentUrl") == "https://example.com/L-100.pdf");
  CHECK(json::serialize(out.at("signatures")) == R"(["ann-signed","bob-signed","cy-signed"])");
  CHECK(children_of(done).size() == 6);
  CHECK(count_history(port, loan, "child_ended") == 6);
}

TEST_CASE("cancelling a parent cancels its children", "[children]") {
  baton_server server;
  auto port = server.port();
  auto loan = start_loan(port, "L-200");
  auto branches = running_children(port, loan, 2);
  auto r = http_call(port, "POST", "/api/v1/processes/" + loan + "/cancel", R"({"reason":"x"})");
  INFO(r.body);
  REQUIRE(r.status / 100 == 2);
  for (const auto& id : branches)
    CHECK(text(wait_for_status(port, id, "CANCELLED"), "status") == "CANCELLED");
  for (const auto& c : children_of(get_process(port, loan)))
    CHECK(text(c.as_object(), "status") == "CANCELLED");
}

TEST_CASE("a sub-process of an unknown definition fails its step", "[children]") {
  definitions_folder defs;
  defs.add("Orphan", R"({"name":"Orphan","steps":[
      {"id":"call","kind":"subprocess","definition":"NoSuchDefinition"}]})");
  server_options options;
  options.definitions = defs.path();
  baton_server server(options);
  auto id = start(server.port(), R"({"definition":"Orphan"})");
  auto p = wait_for_status(server.port(), id, "FAILED");
  REQUIRE(text(p, "status") == "FAILED");
  CHECK(text(p, "error").find("NoSuchDefinition") != std::string::npos);
}

TEST_CASE("after kill -9 branches, a child and items go on where they were and the loan ends once",
          "[children]") {
  baton_server server;
  auto port = server.port();
  auto loan = start_loan(port, "L-300");
  auto branches = running_children(port, loan, 2);
  // One branch acknowledged before the crash, one after.
  complete_child(port, child_at(port, branches, "fraud"), R"({"fraudCleared":true})");
  server.kill9();
  port = restart(server);
  CHECK(text(get_process(port, child_at(port, branches, "fraud")), "status") == "SUCCEEDED");
  complete_child(port, child_at(port, branches, "credit"), R"({"creditScore":650})");

  wait_at(port, loan, "kyc");
  auto kyc = running_children(port, loan, 1);
  server.kill9();
  port = restart(server);
  complete_child(port, kyc[0], R"({"kycStatus":"verified"})");
  wait_at(port, loan, "documents");
  documents_arrive(port, "L-300");

  auto signers = running_children(port, loan, 3);
  std::ranges::sort(signers);
  complete_child(port, signers[1], R"({"signature":"b"})");
  server.kill9();
  port = restart(server);
  complete_child(port, signers[0], R"({"signature":"a"})");
  complete_child(port, signers[2], R"({"signature":"c"})");

  auto done = wait_for_status(port, loan, "SUCCEEDED");
  REQUIRE(text(done, "status") == "SUCCEEDED");
  CHECK(json::serialize(done.at("outputs").as_object().at("signatures")) == R"(["a","b","c"])");
  CHECK(text(done.at("outputs").as_object(), "decision") == "approved");
  CHECK(count_history(port, loan, "process_succeeded") == 1);
  CHECK(count_history(port, loan, "child_ended") == 6);
}

TEST_CASE("a sandbox run answers for the children from the same scenario", "[children]") {
  baton_server server;
  auto port = server.port();
  auto id = start(port, R"({"definition":"LoanOrigination","scenarioId":"approved","values":{
      "loanId":"S-1","applicant":"Ada","amount":5000,"guarantors":["ann","bob"]}})");
  auto done = wait_for_status(port, id, "SUCCEEDED");
  REQUIRE(text(done, "status") == "SUCCEEDED");
  CHECK(json::serialize(done.at("outputs").as_object().at("signatures")) ==
        R"(["signed","signed"])");
  CHECK(text(done.at("outputs").as_object(), "kycStatus") == "verified");
}
