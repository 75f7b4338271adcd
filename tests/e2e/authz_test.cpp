// Authorization per client, end to end: idempotency keys scoped to their client, schedules
// and scopes limited to the definitions a client may use, /metrics behind credentials.
// tests/e2e/authz_matrix_test.cpp checks every route × role × own/foreign resource; the
// cases here check what a status code alone cannot show (whose process came back, what a
// list holds, that a refused change did not happen).

#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// An external step that waits, under a name no 'Loan*' glob matches.
constexpr std::string_view waiting_definition = R"({"steps":[{"id":"wait","kind":"external"}]})";

constexpr std::string_view loan_values = R"("values":{"applicant":"Ann","amount":5000})";

server_options auth_options(std::map<std::string, std::string> extra = {}) {
  server_options opts;
  opts.environment = std::move(extra);
  opts.environment["BATON_AUTH__REQUIRED"] = "true";
  return opts;
}

/// A server with auth required, the admin's key, a `Waiting` definition (outside `Loan*`) and
/// two clients limited to `Loan*`: a runner and an operator.
struct loan_clients {
  baton_server server{auth_options()};
  std::uint16_t port = server.port();
  std::string admin = admin_key(server);
  new_client runner = create_client(port, admin, "loans", "runner", R"(["Loan*"])");
  new_client op = create_client(port, admin, "loan-ops", "operator", R"(["Loan*"])");

  loan_clients() {
    REQUIRE(deploy(port, "Waiting", waiting_definition, as_admin()).status / 100 == 2);
  }
  header_list as_admin() const { return key_header(admin); }
  header_list as_runner() const { return key_header(runner.api_key); }
  header_list as_operator() const { return key_header(op.api_key); }
};

test_response start_call(std::uint16_t port, const std::string& body, header_list headers) {
  return http_call(port, "POST", "/api/v1/processes", body, std::move(headers));
}

}  // namespace

// ---- idempotency keys ----------------------------------------------------------------------

TEST_CASE("an idempotency key is scoped to its client: another client's key starts its own process",
          "[e2e][authz]") {
  loan_clients f;
  auto theirs =
      start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})", f.as_admin());
  REQUIRE(theirs.status == 201);
  auto admin_process = text(object_of(theirs), "id");

  // The same key from a runner limited to Loan*: a new process of its own definition, not
  // the admin's (which it may not even see).
  auto mine = start_call(f.port,
                         R"({"definition":"LoanApproval","idempotencyKey":"order-1",)" +
                             std::string(loan_values) + "}",
                         f.as_runner());
  INFO(mine.status << " " << mine.body);
  REQUIRE(mine.status == 201);
  CHECK(mine.header("Idempotent-Replayed").empty());
  auto own = object_of(mine);
  CHECK(text(own, "id") != admin_process);
  CHECK(text(own, "definition") == "LoanApproval");
  CHECK(mine.body.find("Waiting") == std::string::npos);

  // Each client's retry replays its own process; the header spelling is the same key.
  auto again =
      start_call(f.port, R"({"definition":"LoanApproval",)" + std::string(loan_values) + "}",
                 {{"x-api-key", f.runner.api_key}, {"Idempotency-Key", "order-1"}});
  REQUIRE(again.status == 200);
  CHECK(again.header("Idempotent-Replayed") == "true");
  CHECK(text(object_of(again), "id") == text(own, "id"));
  auto admin_again =
      start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})", f.as_admin());
  REQUIRE(admin_again.status == 200);
  CHECK(text(object_of(admin_again), "id") == admin_process);

  // A third client with every definition is still another client: its own process.
  auto other = create_client(f.port, f.admin, "other-admin", "admin");
  auto third = start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})",
                          key_header(other.api_key));
  REQUIRE(third.status == 201);
  CHECK(text(object_of(third), "id") != admin_process);
}

// ---- schedules -----------------------------------------------------------------------------

namespace {

/// A far-future schedule of `definition`, made by the admin; @returns its id.
std::string admin_schedule(const loan_clients& f, const std::string& definition,
                           const std::string& extra = {}) {
  auto body = R"({"definition":")" + definition + R"(","cron":"0 0 0 1 1 ? 2099","timeZone":"UTC")";
  if (definition == "LoanApproval") body += "," + std::string(loan_values);
  auto r = http_call(f.port, "POST", "/api/v1/schedules", body + extra + "}", f.as_admin());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text(object_of(r), "id");
}

std::string schedule_status(const loan_clients& f, const std::string& id) {
  auto r = http_call(f.port, "GET", "/api/v1/schedules/" + id, {}, f.as_admin());
  REQUIRE(r.status == 200);
  return text(object_of(r), "status");
}

}  // namespace

TEST_CASE("schedules of a definition outside the globs are neither listed nor changed",
          "[e2e][authz]") {
  loan_clients f;
  auto own = admin_schedule(f, "LoanApproval");
  auto foreign = admin_schedule(f, "Waiting");

  auto list = http_call(f.port, "GET", "/api/v1/schedules", {}, f.as_runner());
  REQUIRE(list.status == 200);
  auto items = parse(list.body).as_array();
  REQUIRE(items.size() == 1);
  CHECK(text(items[0].as_object(), "id") == own);
  CHECK(list.body.find("Waiting") == std::string::npos);

  // A foreign schedule answers exactly as an unknown one, and stays as it was.
  auto unknown =
      http_call(f.port, "GET", "/api/v1/schedules/ffffffffffffffffffffffff", {}, f.as_runner());
  auto hidden = http_call(f.port, "GET", "/api/v1/schedules/" + foreign, {}, f.as_runner());
  CHECK(hidden.status == 404);
  CHECK(unknown.status == 404);
  CHECK(text(object_of(hidden), "title") == text(object_of(unknown), "title"));
  for (std::string action : {"/pause", "/resume"}) {
    auto r =
        http_call(f.port, "POST", "/api/v1/schedules/" + foreign + action, {}, f.as_operator());
    INFO(action << " " << r.body);
    CHECK(r.status == 404);
  }
  CHECK(http_call(f.port, "DELETE", "/api/v1/schedules/" + foreign, {}, f.as_operator()).status ==
        404);
  CHECK(schedule_status(f, foreign) == "ACTIVE");

  // Its own: pause and delete work.
  auto paused =
      http_call(f.port, "POST", "/api/v1/schedules/" + own + "/pause", {}, f.as_operator());
  REQUIRE(paused.status == 200);
  CHECK(schedule_status(f, own) == "PAUSED");
  CHECK(http_call(f.port, "DELETE", "/api/v1/schedules/" + own, {}, f.as_operator()).status == 204);
  // Creating one for a foreign definition is refused outright.
  auto create = http_call(f.port, "POST", "/api/v1/schedules",
                          R"({"definition":"Waiting","cron":"0 0 0 1 1 ? 2099"})", f.as_operator());
  CHECK(create.status == 403);
}

// ---- scopes --------------------------------------------------------------------------------

namespace {

json::object scope_as(const loan_clients& f, const std::string& scope, const header_list& who) {
  auto r = http_call(f.port, "GET", "/api/v1/scopes/" + scope, {}, who);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

std::vector<std::string> ids_in(const json::object& scope) {
  std::vector<std::string> out;
  for (const auto& id : scope.at("running").as_array()) out.emplace_back(id.as_string());
  for (const auto& q : scope.at("queued").as_array()) out.push_back(text(q.as_object(), "id"));
  return out;
}

}  // namespace

TEST_CASE("a scope shows only the client's processes and is changed only when all in it are its",
          "[e2e][authz]") {
  loan_clients f;
  // A shared scope (limit 1): the admin's Waiting processes run and queue, a Loan process
  // queues behind them.
  auto theirs = start(f.port, R"({"definition":"Waiting","scope":"shared"})", f.as_admin());
  auto theirs_queued = start(f.port, R"({"definition":"Waiting","scope":"shared"})", f.as_admin());
  auto mine = start(
      f.port, R"({"definition":"LoanApproval","scope":"shared",)" + std::string(loan_values) + "}",
      f.as_runner());
  auto all = ids_in(scope_as(f, "shared", f.as_admin()));
  CHECK(all == std::vector<std::string>{theirs, theirs_queued, mine});
  auto seen = scope_as(f, "shared", f.as_runner());
  CHECK(ids_in(seen) == std::vector<std::string>{mine});
  // The queued process keeps its true position: one waits ahead of it, unnamed.
  REQUIRE(seen.at("queued").as_array().size() == 1);
  CHECK(seen.at("queued").as_array()[0].as_object().at("position").to_number<int>() == 2);
  auto listed = http_call(f.port, "GET", "/api/v1/scopes", {}, f.as_runner());
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(theirs) == std::string::npos);
  CHECK(listed.body.find(theirs_queued) == std::string::npos);
  CHECK(listed.body.find(mine) != std::string::npos);

  // The operator of Loan* may not pause a scope another definition's process runs in.
  auto pause =
      http_call(f.port, "PUT", "/api/v1/scopes/shared", R"({"paused":true})", f.as_operator());
  INFO(pause.body);
  CHECK(pause.status == 403);
  CHECK(scope_as(f, "shared", f.as_admin()).at("paused").as_bool() == false);

  // A scope of its own processes only: allowed.
  start(f.port, R"({"definition":"LoanApproval","scope":"loans",)" + std::string(loan_values) + "}",
        f.as_runner());
  auto own = http_call(f.port, "PUT", "/api/v1/scopes/loans", R"({"paused":true,"limit":3})",
                       f.as_operator());
  INFO(own.body);
  REQUIRE(own.status == 200);
  CHECK(object_of(own).at("paused").as_bool());
  CHECK(object_of(own).at("limit").to_number<int>() == 3);

  // A scope a foreign schedule starts processes in is not its alone, though empty now.
  admin_schedule(f, "Waiting", R"(,"scope":"nightly")");
  auto scheduled =
      http_call(f.port, "PUT", "/api/v1/scopes/nightly", R"({"limit":2})", f.as_operator());
  CHECK(scheduled.status == 403);
  // An admin whose globs are `*` may change any scope.
  CHECK(http_call(f.port, "PUT", "/api/v1/scopes/shared", R"({"paused":true})", f.as_admin())
            .status == 200);
}

// ---- /metrics ------------------------------------------------------------------------------

TEST_CASE("/metrics needs credentials unless http.metrics_public", "[e2e][authz]") {
  {
    loan_clients f;
    auto anonymous = http_call(f.port, "GET", "/metrics");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.body.find("baton_") == std::string::npos);
    auto runner = http_call(f.port, "GET", "/metrics", {}, f.as_runner());
    REQUIRE(runner.status == 200);
    CHECK(runner.body.find("baton_") != std::string::npos);
  }
  baton_server open(auth_options({{"BATON_HTTP__METRICS_PUBLIC", "true"}}));
  auto r = http_call(open.port(), "GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.body.find("baton_") != std::string::npos);
  // Only /metrics opens: the API still needs credentials.
  CHECK(http_call(open.port(), "GET", "/api/v1/processes").status == 401);
}
