// The authorization matrix: every route the server registers × every caller (no credentials,
// runner, operator, admin) × a resource of a definition the caller may use ("own") and one it
// may not ("foreign"), with the status each must get. The routes come from the binary itself
// (`baton serve --print-routes`, the same registration as a real start), and a route without
// a row in `matrix` fails the test: a new route cannot skip authorization review.
//
// Every client here is limited to `Loan*`, the admin too, so "foreign" means a definition
// outside the globs for each role. Resources are made by the bootstrap admin (globs `*`).
// Routes that change what they touch get a fresh resource for every call.
//
// Rows whose front end answers in a vendor's format, or whose checks need more than one
// status (sessions, tokens), name the test that covers them instead.

#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Owned: an external step that waits (complete-step finishes it).
constexpr std::string_view own_definition = R"({"steps":[{"id":"wait","kind":"external"}]})";
/// Owned: a long timer first (execute runs it now), then a wait, so the process stays RUNNING.
constexpr std::string_view own_timer_definition =
    R"({"steps":[{"id":"nap","kind":"timer","duration":"1h"},{"id":"wait","kind":"external"}]})";
constexpr std::string_view own_name = "LoanMatrix";
constexpr std::string_view own_timer_name = "LoanMatrixTimer";
constexpr std::string_view foreign_name = "WaitingMatrix";
constexpr std::string_view foreign_timer_name = "WaitingMatrixTimer";
constexpr std::string_view own_scope = "matrix-loans";
constexpr std::string_view foreign_scope = "matrix-waiting";

/// What one call sends; `absent` must not appear in a 2xx answer (a list must not show the
/// foreign resource).
struct call {
  std::string target;
  std::string body;
  std::string absent;
};

struct matrix_fixture;
using make_call = std::function<call(matrix_fixture&, bool foreign)>;

/// One route's expectations. `own`/`foreign`: runner, operator, admin. `anonymous`: no
/// credentials at all. A non-empty `elsewhere` names the test that covers the route instead.
struct row {
  std::string method;
  std::string pattern;
  int anonymous = 401;
  std::array<int, 3> own{};
  std::array<int, 3> foreign{};
  make_call make;
  std::string elsewhere{};
};

constexpr std::array<std::string_view, 3> role_names{"runner", "operator", "admin"};

struct matrix_fixture {
  baton_server server;
  std::uint16_t port;
  std::string root;  ///< the bootstrap admin: globs `*`
  std::array<new_client, 3> clients;
  int serial = 0;

  static server_options options() {
    server_options opts;
    opts.environment["BATON_AUTH__REQUIRED"] = "true";
    return opts;
  }

  matrix_fixture() : server(options()), port(server.port()), root(admin_key(server)) {
    for (std::size_t i = 0; i < 3; ++i) {
      clients[i] = create_client(port, root, "matrix-" + std::string(role_names[i]),
                                 std::string(role_names[i]), R"(["Loan*"])");
    }
    for (auto [name, json] :
         {std::pair{own_name, own_definition}, std::pair{own_timer_name, own_timer_definition},
          std::pair{foreign_name, own_definition},
          std::pair{foreign_timer_name, own_timer_definition}}) {
      REQUIRE(deploy(port, std::string(name), json, key_header(root)).status / 100 == 2);
    }
    // One process in each scope, so that the scope reads have something to hide.
    own_in_scope = fresh_process(false, own_scope);
    foreign_in_scope = fresh_process(true, foreign_scope);
    own_schedule = fresh_schedule(false);
    foreign_schedule = fresh_schedule(true);
  }

  std::string definition(bool foreign) const {
    return std::string(foreign ? foreign_name : own_name);
  }

  /// A new RUNNING process, started by the bootstrap admin; @returns its id.
  std::string fresh_process(bool foreign, std::string_view scope = {}, std::string_view name = {}) {
    auto def = name.empty() ? definition(foreign) : std::string(name);
    std::string body = R"({"definition":")" + def + "\"";
    if (!scope.empty()) body += R"(,"scope":")" + std::string(scope) + "\"";
    return start(port, body + "}", key_header(root));
  }

  /// A new definition nobody else uses, deployed by the bootstrap admin (one to retire).
  std::string fresh_definition(bool foreign) {
    auto name = std::string(foreign ? "WaitingRetire" : "LoanRetire") + std::to_string(++serial);
    REQUIRE(deploy(port, name, own_definition, key_header(root)).status == 201);
    return name;
  }

  /// A new schedule far in the future, made by the bootstrap admin; @returns its id.
  std::string fresh_schedule(bool foreign) {
    auto r = http_call(port, "POST", "/api/v1/schedules", schedule_body(foreign), key_header(root));
    INFO(r.body);
    REQUIRE(r.status == 201);
    return text(object_of(r), "id");
  }

  std::string schedule_body(bool foreign) const {
    return R"({"definition":")" + definition(foreign) +
           R"(","cron":"0 0 0 1 1 ? 2099","timeZone":"UTC"})";
  }

  /// A new runner client nobody else uses, for the client-management routes.
  std::string fresh_client_name() { return "matrix-victim-" + std::to_string(++serial); }

  std::string own_in_scope, foreign_in_scope, own_schedule, foreign_schedule;
};

/// A call that does not depend on ownership.
make_call same(std::string target, std::string body = {}) {
  return [target, body](matrix_fixture&, bool) { return call{target, body, {}}; };
}

make_call on_fresh_process(std::string suffix, std::string body = {}) {
  return [suffix, body](matrix_fixture& f, bool foreign) {
    return call{"/api/v1/processes/" + f.fresh_process(foreign) + suffix, body, {}};
  };
}

/// A job key of a fresh process: its first step's processStepId.
make_call on_fresh_job(std::string suffix, std::string body) {
  return [suffix, body](matrix_fixture& f, bool foreign) {
    return call{"/api/v1/jobs/" + f.fresh_process(foreign) + "-1" + suffix, body, {}};
  };
}

make_call on_fresh_schedule(std::string suffix) {
  return [suffix](matrix_fixture& f, bool foreign) {
    return call{"/api/v1/schedules/" + f.fresh_schedule(foreign) + suffix, {}, {}};
  };
}

std::vector<row> matrix() {
  constexpr int ok = 200, created = 201, no_content = 204, forbidden = 403, not_found = 404;
  constexpr int conflict = 409;
  constexpr std::array<int, 3> all_409{conflict, conflict, conflict};
  constexpr std::array<int, 3> all_ok{ok, ok, ok}, all_403{forbidden, forbidden, forbidden},
      all_404{not_found, not_found, not_found}, admin_only{forbidden, forbidden, ok};
  const std::string auth_tests = "tests/e2e/auth_test.cpp";
  std::vector<row> rows = {
      // ---- definitions
      {"PUT",
       "/api/v1/definitions/{name}",
       401,
       {forbidden, forbidden, ok},
       all_403,
       [](matrix_fixture& f, bool foreign) {
         // Deployed already (at start): a second, identical deploy answers 200.
         return call{
             "/api/v1/definitions/" + f.definition(foreign), std::string(own_definition), {}};
       }},
      {"DELETE", "/api/v1/definitions/{name}", 401, admin_only, all_403,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/definitions/" + f.fresh_definition(foreign), {}, {}};
       }},
      {"GET", "/api/v1/definitions/{name}", 401, all_ok, all_403,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/definitions/" + f.definition(foreign), {}, {}};
       }},
      {"GET", "/api/v1/definitions", 401, all_ok, all_ok,
       [](matrix_fixture&, bool) {
         return call{"/api/v1/definitions", {}, std::string(foreign_name)};
       }},
      // ---- processes
      {"POST",
       "/api/v1/processes",
       401,
       {created, created, created},
       all_403,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/processes", R"({"definition":")" + f.definition(foreign) + "\"}", {}};
       }},
      {"GET", "/api/v1/processes", 401, all_ok, all_ok,
       [](matrix_fixture& f, bool foreign) {
         // Asking for the foreign definition by name still shows none of its processes.
         return call{"/api/v1/processes?definition=" + f.definition(foreign),
                     {},
                     foreign ? f.foreign_in_scope : std::string{}};
       }},
      {"GET", "/api/v1/processes/{id}", 401, all_ok, all_404, on_fresh_process("")},
      {"GET", "/api/v1/processes/{id}/history", 401, all_ok, all_404, on_fresh_process("/history")},
      {"POST",
       "/api/v1/processes/{id}/cancel",
       401,
       {forbidden, ok, ok},
       {forbidden, not_found, not_found},
       on_fresh_process("/cancel")},
      {"POST",
       "/api/v1/processes/{id}/steps/{stepId}/execute",
       401,
       {forbidden, ok, ok},
       {forbidden, not_found, not_found},
       [](matrix_fixture& f, bool foreign) {
         auto id = f.fresh_process(foreign, {}, foreign ? foreign_timer_name : own_timer_name);
         return call{"/api/v1/processes/" + id + "/steps/" + id + "-1/execute", {}, {}};
       }},
      // Retrying a process that has not failed: 409 for those who may, 403/404 for the others.
      {"POST",
       "/api/v1/processes/{id}/retry",
       401,
       {forbidden, 409, 409},
       {forbidden, not_found, not_found},
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/processes/" + f.fresh_process(foreign) + "/retry", {}, {}};
       }},
      // complete-step answers in the vendor's envelope: 403 names the step, not the process.
      {"POST", "/api/v1/processes/complete-step", 401, all_ok, all_403,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/processes/complete-step",
                     R"({"processStepId":")" + f.fresh_process(foreign) + R"(-1","params":{}})",
                     {}};
       }},
      // The inbox lists only what the client may see; completing a foreign step is a 404.
      {"GET", "/api/v1/tasks", 401, all_ok, all_ok,
       [](matrix_fixture& f, bool) {
         return call{"/api/v1/tasks?limit=1000", {}, f.fresh_process(true)};
       }},
      {"POST", "/api/v1/processes/{id}/steps/{stepId}/complete", 401, all_ok, all_404,
       [](matrix_fixture& f, bool foreign) {
         auto id = f.fresh_process(foreign);
         return call{"/api/v1/processes/" + id + "/steps/wait/complete", "{}", {}};
       }},
      // ---- scopes
      {"GET", "/api/v1/scopes", 401, all_ok, all_ok,
       [](matrix_fixture& f, bool) {
         return call{"/api/v1/scopes", {}, f.foreign_in_scope};
       }},
      {"GET", "/api/v1/scopes/{scope}", 401, all_ok, all_ok,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/scopes/" + std::string(foreign ? foreign_scope : own_scope),
                     {},
                     f.foreign_in_scope};
       }},
      {"PUT",
       "/api/v1/scopes/{scope}",
       401,
       {forbidden, ok, ok},
       all_403,
       [](matrix_fixture&, bool foreign) {
         return call{"/api/v1/scopes/" + std::string(foreign ? foreign_scope : own_scope),
                     R"({"limit":5})",
                     {}};
       }},
      // ---- schedules
      {"POST",
       "/api/v1/schedules",
       401,
       {forbidden, created, created},
       all_403,
       [](matrix_fixture& f, bool foreign) {
         return call{"/api/v1/schedules", f.schedule_body(foreign), {}};
       }},
      {"GET", "/api/v1/schedules", 401, all_ok, all_ok,
       [](matrix_fixture& f, bool) {
         return call{"/api/v1/schedules", {}, f.foreign_schedule};
       }},
      {"GET", "/api/v1/schedules/{id}", 401, all_ok, all_404,
       [](matrix_fixture& f, bool foreign) {
         return call{
             "/api/v1/schedules/" + (foreign ? f.foreign_schedule : f.own_schedule), {}, {}};
       }},
      {"DELETE",
       "/api/v1/schedules/{id}",
       401,
       {forbidden, no_content, no_content},
       {forbidden, not_found, not_found},
       on_fresh_schedule("")},
      {"POST",
       "/api/v1/schedules/{id}/pause",
       401,
       {forbidden, ok, ok},
       {forbidden, not_found, not_found},
       on_fresh_schedule("/pause")},
      {"POST",
       "/api/v1/schedules/{id}/resume",
       401,
       {forbidden, ok, ok},
       {forbidden, not_found, not_found},
       on_fresh_schedule("/resume")},
      {"GET", "/api/v1/cron/next", 401, all_ok, all_ok,
       same("/api/v1/cron/next?expr=0+0+12+*+*+%3F&tz=UTC")},
      // ---- jobs: a worker's calls need a runner; a job of a foreign definition is unknown.
      // The own process waits at an external step, not a job: passing authorization, the
      // lease check refuses the call (409).
      {"POST", "/api/v1/jobs/activate", 401, all_ok, all_ok,
       same("/api/v1/jobs/activate", R"({"type":"matrix","worker":"w"})")},
      {"POST", "/api/v1/jobs/{key}/complete", 401, all_409, all_404,
       on_fresh_job("/complete", R"({"leaseToken":"t","params":{}})")},
      {"POST", "/api/v1/jobs/{key}/fail", 401, all_409, all_404,
       on_fresh_job("/fail", R"({"leaseToken":"t","error":"e"})")},
      {"POST", "/api/v1/jobs/{key}/extend", 401, all_409, all_404,
       on_fresh_job("/extend", R"({"leaseToken":"t","leaseMs":1000})")},
      {"GET", "/api/v1/jobs", 401, {forbidden, ok, ok}, {forbidden, ok, ok}, same("/api/v1/jobs")},
      // ---- messages: a runner posts; steps of foreign definitions are passed over, not refused
      {"POST", "/api/v1/messages", 401,
       all_ok,  // a runner posts messages as it completes steps; steps it may not touch are
       all_ok,  // left waiting (tests/e2e/message_test.cpp)
       same("/api/v1/messages", R"({"name":"matrix","correlation":"c"})")},
      // ---- clients and audit: the admin's alone (globs do not apply)
      {"GET", "/api/v1/clients", 401, admin_only, admin_only, same("/api/v1/clients")},
      {"POST",
       "/api/v1/clients",
       401,
       {forbidden, forbidden, created},
       {forbidden, forbidden, created},
       [](matrix_fixture& f, bool) {
         return call{"/api/v1/clients",
                     R"({"name":")" + f.fresh_client_name() + R"(","role":"runner"})",
                     {}};
       }},
      {"GET", "/api/v1/clients/{name}", 401, admin_only, admin_only,
       same("/api/v1/clients/matrix-runner")},
      {"POST", "/api/v1/clients/{name}/rotate", 401, admin_only, admin_only,
       [](matrix_fixture& f, bool) {
         auto name = f.fresh_client_name();
         create_client(f.port, f.root, name, "runner");
         return call{"/api/v1/clients/" + name + "/rotate", {}, {}};
       }},
      {"POST", "/api/v1/clients/{name}/disable", 401, admin_only, admin_only,
       same("/api/v1/clients/matrix-admin-spare/disable")},
      {"POST", "/api/v1/clients/{name}/enable", 401, admin_only, admin_only,
       same("/api/v1/clients/matrix-admin-spare/enable")},
      {"DELETE", "/api/v1/clients/{name}", 401, admin_only, admin_only,
       [](matrix_fixture& f, bool) {
         auto name = f.fresh_client_name();
         create_client(f.port, f.root, name, "runner");
         return call{"/api/v1/clients/" + name, {}, {}};
       }},
      {"GET", "/api/v1/audit", 401, admin_only, admin_only, same("/api/v1/audit")},
      // ---- cluster: what an operator watches
      {"GET",
       "/api/v1/cluster",
       401,
       {forbidden, ok, ok},
       {forbidden, ok, ok},
       same("/api/v1/cluster")},
      // ---- operations
      // A backup writes a folder on the server's machine: its own test covers what it does.
      {"POST", "/api/v1/admin/backup", 0, {}, {}, {}, "tests/e2e/backup_test.cpp"},
      {"GET", "/healthz", 200, all_ok, all_ok, same("/healthz")},
      {"GET", "/readyz", 200, all_ok, all_ok, same("/readyz")},
      {"GET", "/metrics", 401, all_ok, all_ok, same("/metrics")},
      {"GET", "/api/v1/openapi.json", 200, all_ok, all_ok, same("/api/v1/openapi.json")},
      {"GET", "/api/docs", 200, all_ok, all_ok, same("/api/docs")},
      {"GET", "/ui", 200, all_ok, all_ok, same("/ui/")},
      {"GET", "/ui/{file}", 200, all_ok, all_ok, same("/ui/app.js")},
      // ---- credentials: their failures are throttled per address, so they have their own tests
      {"POST", "/services/oauth2/token", 0, {}, {}, {}, auth_tests},
      {"POST", "/services/oauth2/revoke", 0, {}, {}, {}, auth_tests},
      {"POST", "/ServiceModel/AuthService.svc/Login", 0, {}, {}, {}, auth_tests},
      {"POST", "/ServiceModel/AuthService.svc/Logout", 0, {}, {}, {}, auth_tests},
      {"POST", "/0/ServiceModel/AuthService.svc/Login", 0, {}, {}, {}, auth_tests},
      {"POST", "/0/ServiceModel/AuthService.svc/Logout", 0, {}, {}, {}, auth_tests},
  };
  // ---- vendor front ends: each answers in its vendor's format and checks the definition
  // its own way; their tests hold them to the same rules.
  for (auto [method, pattern, test] : std::initializer_list<std::array<const char*, 3>>{
           {"POST", "/scheduler/connector-api/process/start", "tests/e2e/connector_test.cpp"},
           {"GET", "/scheduler/connector-api/process/status/{robustaSpid}",
            "tests/e2e/connector_test.cpp"},
           {"POST", "/scheduler/connector-API/process/start", "tests/e2e/connector_test.cpp"},
           {"GET", "/scheduler/connector-API/process/status/{robustaSpid}",
            "tests/e2e/connector_test.cpp"},
           {"POST", "/v1/JobWorkflow/Authorized", "tests/e2e/compat_test.cpp"},
           {"GET", "/v1/JobWorkflow/{jobId}", "tests/e2e/compat_test.cpp"},
           {"POST", "/api/v1/workfloo", "tests/e2e/workfloo_test.cpp"},
           {"GET", "/api/v1/workfloo/status/{id}", "tests/e2e/workfloo_test.cpp"},
           {"GET", "/api/v1/workfloo/{id}", "tests/e2e/workfloo_test.cpp"},
           {"GET", "/api/v1/workfloo", "tests/e2e/workfloo_test.cpp"},
           {"GET", "/api/v2/workfloo", "tests/e2e/workfloo_test.cpp"},
       }) {
    rows.push_back({method, pattern, 0, {}, {}, {}, test});
  }
  // The process engine front end serves the same routes under four app prefixes.
  for (std::string prefix : {"", "/0", "/{app}", "/{app}/0"}) {
    auto base = prefix + "/ServiceModel/ProcessEngineService.svc";
    for (std::string method : {"GET", "POST"}) {
      rows.push_back(
          {method, base + "/{schema}/Execute", 0, {}, {}, {}, "tests/e2e/compat_test.cpp"});
      rows.push_back(
          {method, base + "/ExecProcElByUId/{uid}", 0, {}, {}, {}, "tests/e2e/compat_test.cpp"});
    }
    rows.push_back({"POST", base + "/RunProcess", 0, {}, {}, {}, "tests/e2e/compat_test.cpp"});
  }
  return rows;
}

/// Every (method, pattern) the binary serves, from `baton serve --print-routes`.
std::set<std::pair<std::string, std::string>> served_routes() {
  temp_dir data;
  auto [out, status] =
      run_command(std::string(BATON_BINARY) + " serve --print-routes --listen 127.0.0.1:0 --data " +
                      (data.path() / "data").string(),
                  /*with_stderr=*/false);
  INFO(out);
  REQUIRE(status == 0);
  std::set<std::pair<std::string, std::string>> routes;
  std::istringstream lines(out);
  for (std::string method, pattern; lines >> method >> pattern;) routes.emplace(method, pattern);
  return routes;
}

}  // namespace

TEST_CASE("every served route has a row in the authorization matrix", "[e2e][authz]") {
  auto served = served_routes();
  REQUIRE(served.size() > 20);
  std::set<std::pair<std::string, std::string>> listed;
  for (const auto& r : matrix()) listed.emplace(r.method, r.pattern);
  for (const auto& route : served) {
    INFO("add a row for " << route.first << " " << route.second
                          << " to matrix() in tests/e2e/authz_matrix_test.cpp");
    CHECK(listed.count(route) == 1);
  }
  // And no row for a route that is gone (a renamed route would otherwise keep a dead row).
  for (const auto& route : listed) {
    INFO("matrix() lists a route the server does not serve: " << route.first << " "
                                                              << route.second);
    CHECK(served.count(route) == 1);
  }
}

TEST_CASE("each role gets the expected status on each route, for its own and a foreign resource",
          "[e2e][authz]") {
  matrix_fixture f;
  // A spare client for the disable/enable rows.
  create_client(f.port, f.root, "matrix-admin-spare", "runner");
  std::vector<std::string> mismatches;
  auto check = [&](const row& r, const std::string& who, bool foreign, int expected,
                   const header_list& headers) {
    auto c = r.make(f, foreign);
    auto answer = http_call(f.port, r.method, c.target, c.body, headers);
    std::ostringstream line;
    line << r.method << " " << c.target << " as " << who << (foreign ? " (foreign)" : " (own)");
    if (answer.status != expected) {
      line << ": expected " << expected << ", got " << answer.status << " " << answer.body;
      mismatches.push_back(line.str());
    } else if (answer.status / 100 == 2 && !c.absent.empty() &&
               answer.body.find(c.absent) != std::string::npos) {
      line << ": the answer shows " << c.absent << ": " << answer.body;
      mismatches.push_back(line.str());
    }
  };
  int checked = 0;
  for (const auto& r : matrix()) {
    if (!r.elsewhere.empty()) continue;
    check(r, "nobody", false, r.anonymous, {});
    for (std::size_t i = 0; i < 3; ++i) {
      auto headers = key_header(f.clients[i].api_key);
      check(r, std::string(role_names[i]), false, r.own[i], headers);
      check(r, std::string(role_names[i]), true, r.foreign[i], headers);
    }
    ++checked;
  }
  CHECK(checked >= 30);
  std::string all;
  for (const auto& m : mismatches) all += m + "\n";
  INFO(all);
  CHECK(mismatches.empty());
}
