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

  loan_clients() { REQUIRE(deploy(port, "Waiting", waiting_definition, as_admin()).status / 100 == 2); }
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
  auto theirs = start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})",
                           f.as_admin());
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
  auto again = start_call(f.port, R"({"definition":"LoanApproval",)" + std::string(loan_values) + "}",
                          {{"x-api-key", f.runner.api_key}, {"Idempotency-Key", "order-1"}});
  REQUIRE(again.status == 200);
  CHECK(again.header("Idempotent-Replayed") == "true");
  CHECK(text(object_of(again), "id") == text(own, "id"));
  auto admin_again = start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})",
                                f.as_admin());
  REQUIRE(admin_again.status == 200);
  CHECK(text(object_of(admin_again), "id") == admin_process);

  // A third client with every definition is still another client: its own process.
  auto other = create_client(f.port, f.admin, "other-admin", "admin");
  auto third = start_call(f.port, R"({"definition":"Waiting","idempotencyKey":"order-1"})",
                          key_header(other.api_key));
  REQUIRE(third.status == 201);
  CHECK(text(object_of(third), "id") != admin_process);
}
