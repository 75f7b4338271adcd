#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http/auth/secrets.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// A secure server with one runner client; returns its password.
std::string runner_password(baton_server& server, const std::string& name, std::string_view globs) {
  return create_client(server.port(), admin_key(server), name, "runner",
                       "[\"" + std::string(globs) + "\"]")
      .password;
}

server_options secure(std::map<std::string, std::string> extra = {}) {
  server_options o;
  o.environment = {{"BATON_AUTH__REQUIRED", "true"}};
  o.environment.insert(extra.begin(), extra.end());
  return o;
}

/// Logs in and returns the Cookie and BPMCSRF headers a session request needs.
header_list session_headers(std::uint16_t port, const std::string& user,
                            const std::string& password) {
  auto r = http_call(port, "POST", "/ServiceModel/AuthService.svc/Login",
                     R"({"UserName":")" + user + R"(","UserPassword":")" + password + R"("})");
  REQUIRE(r.status == 200);
  REQUIRE(text(object_of(r), "Message").empty());
  auto cookies = r.header("set-cookie");
  auto value_of = [&](std::string_view name) {
    auto at = cookies.find(std::string(name) + "=");
    REQUIRE(at != std::string::npos);
    auto start = at + name.size() + 1;
    return cookies.substr(start, cookies.find(';', start) - start);
  };
  auto sid = value_of("BPMSESSIONID");
  auto csrf = value_of("BPMCSRF");
  return {{"Cookie", "BPMSESSIONID=" + sid + "; BPMCSRF=" + csrf}, {"BPMCSRF", csrf}};
}

}  // namespace

TEST_CASE("process engine service: Execute with and without a result, RunProcess, ExecProcElByUId",
          "[e2e][compat]") {
  baton_server server(secure());
  auto port = server.port();
  auto password = runner_password(server, "svc", "*");
  auto session = session_headers(port, "svc", password);

  SECTION("Execute waits and answers the output as JSON in a DataContract string") {
    for (std::string prefix : {"/7.15.1.1295_SalesEnterprise/0", "/0", ""}) {
      auto r = http_call(port, "GET",
                         prefix +
                             "/ServiceModel/ProcessEngineService.svc/OneStepNotepadRunner/"
                             "Execute?ResultParameterName=x&username=A%26B&surname=%3CS%3E",
                         {}, session);
      INFO(prefix);
      REQUIRE(r.status == 200);
      CHECK(r.body ==
            "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">"
            "&quot;A&amp;B &lt;S&gt;&quot;</string>");
    }
    auto missing = http_call(port, "POST",
                             "/0/ServiceModel/ProcessEngineService.svc/OneStepNotepadRunner/"
                             "Execute?ResultParameterName=nope&username=a&surname=b",
                             {}, session);
    CHECK(missing.body.find(">null</string>") != std::string::npos);
  }
  SECTION("query parameters are converted to declared types") {
    auto bad =
        http_call(port, "GET",
                  "/0/ServiceModel/ProcessEngineService.svc/LoanApproval/Execute?applicant=a&"
                  "amount=12x",
                  {}, session);
    CHECK(bad.status == 400);
    auto ok = http_call(port, "GET",
                        "/0/ServiceModel/ProcessEngineService.svc/LoanApproval/Execute?applicant=a&"
                        "amount=12",
                        {}, session);
    REQUIRE(ok.status == 200);
    auto id = ok.header("x-process-id");
    auto p = get_process(
        port, id, {{"Authorization", "Basic " + baton::http::auth::base64("svc:" + password)}});
    CHECK(p.at("values").as_object().at("amount").as_int64() == 12);

    // ExecProcElByUId on a waiting external step without required params is refused; on a
    // completed element it does nothing.
    auto step = last_step_id(p);
    auto exec =
        http_call(port, "POST", "/0/ServiceModel/ProcessEngineService.svc/ExecProcElByUId/" + step,
                  {}, session);
    CHECK(exec.status == 409);
  }
  SECTION("RunProcess answers result parameter values") {
    auto r = http_call(
        port, "POST", "/0/ServiceModel/ProcessEngineService.svc/RunProcess",
        R"({"schemaName":"OneStepNotepadRunner","parameterValues":{"username":"U","surname":"S"},
                           "resultParameterNames":["x","none"]})",
        session);
    REQUIRE(r.status == 200);
    auto o = object_of(r);
    CHECK(o.at("processStatus").as_string() == "SUCCEEDED");
    CHECK(o.at("success").as_bool());
    CHECK(o.at("resultParameterValues").as_object().at("x").as_string() == "U S");
    CHECK(o.at("resultParameterValues").as_object().at("none").is_null());
    CHECK(o.at("errorInfo").is_null());
  }
  SECTION("the session and its CSRF header are required") {
    auto target = "/0/ServiceModel/ProcessEngineService.svc/OneStepNotepadRunner/Execute";
    CHECK(http_call(port, "GET", target).status == 401);
    CHECK(http_call(port, "GET", target, {}, {session[0]}).status == 401);
    CHECK(http_call(port, "GET", target, {}, {session[0], {"BPMCSRF", "forged"}}).status == 401);
  }
}

TEST_CASE("job workflow: OAuth header, 202 jobId, scopes, status", "[e2e][compat]") {
  baton_server server(secure({{"BATON_AUTH__OAUTH_HOST", "jobs.example.test"}}));
  auto port = server.port();
  auto password = runner_password(server, "jobs", "*");
  auto token = http_call(port, "POST", "/services/oauth2/token",
                         "grant_type=password&username=jobs&password=" + password,
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"X-Forwarded-Host", "jobs.example.test"}});
  REQUIRE(token.status == 200);
  header_list auth = {{"Authorization", "OAuth " + baton::http::auth::base64(token.body)},
                      {"X-Forwarded-Host", "jobs.example.test"}};
  auto job = [&](std::string_view body, header_list h) {
    return http_call(port, "POST", "/v1/JobWorkflow/Authorized", std::string(body), h);
  };
  const std::string loan =
      R"({"descriptor": "PLATFORM_CUSTOM_WORKFLOW", "scope": "scope2", "parameters": {"WORKFLOW_AUTOMATION_ID": "LoanApproval", "applicant": "bar", "amount": 5}})";

  auto first = job(loan, auth);
  REQUIRE(first.status == 202);
  auto id = text(object_of(first), "jobId");
  // Parallel runs are off by default: the busy scope refuses the second job.
  CHECK(job(loan, auth).status == 409);

  auto state = http_call(port, "GET", "/v1/JobWorkflow/" + id, {}, auth);
  REQUIRE(state.status == 200);
  CHECK(text(object_of(state), "status") == "IN_PROGRESS");
  CHECK(text(object_of(state), "scope") == "scope2");

  // Unscoped jobs share one serial queue: the second waits behind the first.
  auto unscoped =
      R"({"descriptor": "PLATFORM_CUSTOM_WORKFLOW", "parameters": {"WORKFLOW_AUTOMATION_ID": "LoanApproval", "applicant": "x", "amount": 1}})";
  auto a = job(unscoped, auth);
  auto b = job(unscoped, auth);
  REQUIRE(a.status == 202);
  REQUIRE(b.status == 202);
  CHECK(text(object_of(http_call(port, "GET", "/v1/JobWorkflow/" + text(object_of(b), "jobId"), {},
                                 auth)),
             "status") == "QUEUED");

  // A finished job shows its outputs.
  auto done = job(
      R"({"descriptor": "PLATFORM_CUSTOM_WORKFLOW", "scope": "s3", "parameters": {"WORKFLOW_AUTOMATION_ID": "OneStepNotepadRunner", "username": "U", "surname": "S"}})",
      auth);
  REQUIRE(done.status == 202);
  auto done_id = text(object_of(done), "jobId");
  json::object finished;
  for (int i = 0; i < 100; ++i) {
    finished = object_of(http_call(port, "GET", "/v1/JobWorkflow/" + done_id, {}, auth));
    if (text(finished, "status") == "COMPLETED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(text(finished, "status") == "COMPLETED");
  CHECK(finished.at("outputs").as_object().at("x").as_string() == "U S");

  // Errors: unreadable bodies, no credentials, wrong forwarded host.
  for (auto body :
       {"{", R"({"descriptor":"PLATFORM_CUSTOM_WORKFLOW"})",
        R"({"descriptor":"PLATFORM_CUSTOM_WORKFLOW","parameters":{"foo":"bar"}})",
        R"({"descriptor":"OTHER","parameters":{"WORKFLOW_AUTOMATION_ID":"LoanApproval"}})"}) {
    auto r = job(body, auth);
    INFO(body);
    CHECK(r.status == 400);
    CHECK(r.body.find("Unable to process the JSON body") != std::string::npos);
  }
  CHECK(job(loan, {}).status == 401);
  CHECK(job(loan, {auth[0], {"X-Forwarded-Host", "evil.example.test"}}).status == 401);
}

TEST_CASE("process engine service: unknown schemas and failed processes in its error shapes",
          "[e2e][compat]") {
  baton_server server(secure());
  auto port = server.port();
  REQUIRE(deploy(port, "Doomed",
                 R"({"name":"Doomed","steps":[{"id":"boom","kind":"fail","message":"no stock"}]})",
                 {{"x-api-key", admin_key(server)}})
              .status == 201);
  auto password = runner_password(server, "svc2", "*");
  auto session = session_headers(port, "svc2", password);
  auto base = std::string("/0/ServiceModel/ProcessEngineService.svc/");

  auto unknown = http_call(port, "GET", base + "Nope/Execute?ResultParameterName=x", {}, session);
  CHECK(unknown.status == 404);
  CHECK_FALSE(object_of(unknown).at("success").as_bool());
  auto run_unknown =
      http_call(port, "POST", base + "RunProcess", R"({"schemaName":"Nope"})", session);
  CHECK(run_unknown.status == 404);
  CHECK(!text(object_of(run_unknown).at("errorInfo").as_object(), "message").empty());
  CHECK(http_call(port, "POST", base + "RunProcess", R"({"parameterValues":{}})", session).status ==
        400);
  CHECK(http_call(port, "POST", base + "RunProcess", "not json", session).status == 400);
  CHECK(http_call(port, "POST", base + "ExecProcElByUId/garbage", {}, session).status == 404);

  // A completed element is not executed again.
  auto done = http_call(
      port, "POST", base + "RunProcess",
      R"({"schemaName":"OneStepNotepadRunner","parameterValues":{"username":"U","surname":"S"},"resultParameterNames":["x"]})",
      session);
  REQUIRE(done.status == 200);
  auto done_id = text(object_of(done), "processId");
  header_list admin = {{"x-api-key", admin_key(server)}};
  auto before = get_process(port, done_id, admin);
  auto again = http_call(port, "POST", base + "ExecProcElByUId/" + done_id + "-1", {}, session);
  CHECK(again.status == 200);
  auto after = get_process(port, done_id, admin);
  CHECK(after.at("steps") == before.at("steps"));  // nothing ran again
  CHECK(after.at("outputs") == before.at("outputs"));
  CHECK(text(after, "status") == "SUCCEEDED");

  auto failed = http_call(port, "POST", base + "RunProcess",
                          R"({"schemaName":"Doomed","resultParameterNames":["x"]})", session);
  REQUIRE(failed.status == 200);
  auto o = object_of(failed);
  CHECK_FALSE(o.at("success").as_bool());
  CHECK(text(o, "processStatus") == "FAILED");
  CHECK(text(o.at("errorInfo").as_object(), "message").find("no stock") != std::string::npos);
}

TEST_CASE(
    "job workflow: with parallel runs on, a scope queues its jobs and scopes run side by "
    "side",
    "[e2e][compat]") {
  baton_server server(secure({{"BATON_ENGINE__PARALLEL_SCOPES", "true"}}));
  auto port = server.port();
  auto password = runner_password(server, "jobs", "*");
  auto token = http_call(port, "POST", "/services/oauth2/token",
                         "grant_type=password&username=jobs&password=" + password,
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(token.status == 200);
  header_list auth = {{"Authorization", "OAuth " + baton::http::auth::base64(token.body)}};
  auto job = [&](std::string_view scope) {
    auto r = http_call(
        port, "POST", "/v1/JobWorkflow/Authorized",
        R"({"descriptor":"PLATFORM_CUSTOM_WORKFLOW","scope":")" + std::string(scope) +
            R"(","parameters":{"WORKFLOW_AUTOMATION_ID":"LoanApproval","applicant":"x","amount":1}})",
        auth);
    REQUIRE(r.status == 202);
    return text(object_of(r), "jobId");
  };
  auto state = [&](const std::string& id) {
    return text(object_of(http_call(port, "GET", "/v1/JobWorkflow/" + id, {}, auth)), "status");
  };
  auto a1 = job("a"), a2 = job("a"), b1 = job("b");
  CHECK(state(a1) == "IN_PROGRESS");
  CHECK(state(a2) == "QUEUED");
  CHECK(state(b1) == "IN_PROGRESS");

  // a1 ends: a2 gets the scope.
  header_list basic = {{"Authorization", "Basic " + baton::http::auth::base64("jobs:" + password)}};
  auto p = get_process(port, a1, basic);
  REQUIRE(complete_step(port, last_step_id(p),
                        R"({"approved":{"boolValue":true,"type":"BOOLEAN"}})", basic)
              .status == 200);
  for (int i = 0; i < 200 && state(a2) != "IN_PROGRESS"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(state(a1) == "COMPLETED");
  CHECK(state(a2) == "IN_PROGRESS");
  CHECK(http_call(port, "GET", "/v1/JobWorkflow/0123456789abcdef01234567", {}, auth).status == 404);
}
