// Clients and authentication end to end: every credential scheme against the real binary,
// with auth required (the fixture's default is an open server unless a test sets some
// BATON_AUTH__ variable, so every test here sets BATON_AUTH__REQUIRED).
//
// All requests come from 127.0.0.1. Wrong passwords are throttled per name and unknown
// credentials per source address (3 free failures, then growing delays), so each test case
// keeps to at most 3 failed attempts per server unless throttling is what it tests
// (tests/e2e/throttle_test.cpp shows that valid credentials are never refused for them).

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/auth_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view loan_start =
    R"({"definition":"LoanApproval","values":{"applicant":"Ann","amount":5000}})";

/// An external step that waits, under a name no 'Loan*' glob matches.
constexpr std::string_view waiting_definition = R"({"steps":[{"id":"wait","kind":"external"}]})";

std::string cli(const baton_server& server, const std::string& args) {
  return std::string(BATON_BINARY) + " clients " + args + " --data " +
         (server.data_dir() / "data").string();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

// ---- first start ---------------------------------------------------------------------------

TEST_CASE("first start creates an admin whose key is in a 0600 file, nothing works without it",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto key_file = server.data_dir() / "data" / "initial-admin-key";
  REQUIRE(std::filesystem::exists(key_file));
  struct stat st {};
  REQUIRE(::stat(key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto key = admin_key(server);
  REQUIRE(key.size() == 64);
  // Printed once, with the key.
  CHECK(count_of(server.output(), "created client \"admin\" with API key " + key) == 1);

  // No credentials: 401 naming every scheme, in problem+json.
  for (auto [method, target] :
       {std::pair{"GET", "/api/v1/definitions"}, std::pair{"GET", "/api/v1/processes"},
        std::pair{"GET", "/api/v1/clients"}, std::pair{"GET", "/api/v1/audit"},
        std::pair{"POST", "/api/v1/processes"}}) {
    INFO(method << " " << target);
    auto r = http_call(port, method, target,
                       std::string(std::string(method) == "POST" ? loan_start : ""));
    expect_problem(r, 401);
    auto challenge = r.header("WWW-Authenticate");
    for (auto scheme : {"Basic", "Bearer", "x-api-key", "OAuth", "BPMSESSIONID", "BPMCSRF"}) {
      CHECK(challenge.find(scheme) != std::string::npos);
    }
  }
  CHECK(read_status(port, key_header(key)) == 200);
  CHECK(read_status(port, bearer(key)) == 200);

  // No built-in default password (three guesses: fewer than the throttle allows).
  CHECK(read_status(port, basic("admin", "admin")) == 401);
  CHECK(read_status(port, basic("admin", "")) == 401);
  auto guess = login_call(port, "admin", "password");
  CHECK(object_of(guess).at("Code").to_number<int>() == 1);

  auto clients = http_call(port, "GET", "/api/v1/clients", {}, key_header(key));
  REQUIRE(clients.status == 200);
  auto list = parse(clients.body).as_array();
  REQUIRE(list.size() == 1);
  CHECK(text(list[0].as_object(), "name") == "admin");
  CHECK(text(list[0].as_object(), "role") == "admin");
  CHECK(clients.body.find(key) == std::string::npos);  // stored as a keyed hash only

  // A restart keeps the admin and creates no second one.
  server.stop();
  server.start();
  CHECK(admin_key(server) == key);
  CHECK(count_of(server.output(), "created client \"admin\"") == 1);
  CHECK(read_status(server.port(), key_header(key)) == 200);
}

// ---- API keys ------------------------------------------------------------------------------

TEST_CASE(
    "API keys work as x-api-key and as Bearer, static ones from config too, a wrong key "
    "is 401 and counts once",
    "[e2e][auth]") {
  baton_server server(auth_options(
      {{"BATON_AUTH__API_KEYS", "static-key-1"}, {"BATON_AUTH__BASIC_USERS", "ops:op-secret"}}));
  auto port = server.port();
  auto runner = create_client(port, admin_key(server), "runner1", "runner");
  CHECK(read_status(port, key_header(runner.api_key)) == 200);
  CHECK(read_status(port, bearer(runner.api_key)) == 200);
  // Configured keys and users are admins, whatever their shape.
  CHECK(read_status(port, key_header("static-key-1")) == 200);
  CHECK(read_status(port, bearer("static-key-1")) == 200);
  CHECK(http_call(port, "GET", "/api/v1/clients", {}, bearer("static-key-1")).status == 200);
  CHECK(http_call(port, "GET", "/api/v1/clients", {}, basic("ops", "op-secret")).status == 200);

  auto wrong = std::string(64, 'a');
  auto r = http_call(port, "GET", "/api/v1/definitions", {}, key_header(wrong));
  auto p = expect_problem(r, 401);
  CHECK(!r.header("WWW-Authenticate").empty());
  CHECK(text(p, "detail").find(wrong) == std::string::npos);
  // Two wrong keys shaped like ours (64 hex digits) as Bearer, tried as key and as token:
  // with the one above, three failures, all free. Counting each Bearer miss twice would make
  // five, and the next request a 429.
  CHECK(read_status(port, bearer(std::string(64, 'b'))) == 401);
  CHECK(read_status(port, bearer(std::string(64, 'c'))) == 401);
  r = http_call(port, "GET", "/api/v1/definitions", {}, key_header(runner.api_key));
  INFO("a wrong Bearer key was counted twice if this is 429: " << r.status << " " << r.body);
  CHECK(r.status == 200);
}

TEST_CASE("a disabled client and a rotated key are refused, enable and the new key work",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto runner = create_client(port, admin, "runner1", "runner");

  auto disabled = client_action(port, admin, "runner1", "disable");
  CHECK(disabled.at("enabled").as_bool() == false);
  CHECK(!disabled.contains("apiKey"));
  CHECK(read_status(port, key_header(runner.api_key)) == 401);  // failure 1
  client_action(port, admin, "runner1", "enable");
  CHECK(read_status(port, key_header(runner.api_key)) == 200);

  auto rotated = client_action(port, admin, "runner1", "rotate");
  auto new_key = text(rotated, "apiKey");
  REQUIRE(new_key.size() == 64);
  CHECK(new_key != runner.api_key);
  CHECK(text(rotated, "password") != runner.password);
  CHECK(read_status(port, key_header(runner.api_key)) == 401);  // failure 2
  CHECK(read_status(port, bearer(runner.api_key)) == 401);      // failure 3
  CHECK(read_status(port, key_header(new_key)) == 200);
  CHECK(read_status(port, bearer(new_key)) == 200);
  // The directory answers for the client without secrets.
  auto one = http_call(port, "GET", "/api/v1/clients/runner1", {}, key_header(admin));
  REQUIRE(one.status == 200);
  CHECK(one.body.find(new_key) == std::string::npos);
  CHECK(text(object_of(one), "role") == "runner");
}

// ---- roles and definition globs ------------------------------------------------------------

TEST_CASE("roles and definition globs: 403 for another client's definition and for the role",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto runner = create_client(port, admin, "loans", "runner", R"(["Loan*"])");
  auto op = create_client(port, admin, "ops", "operator", R"(["Loan*"])");
  auto as_runner = key_header(runner.api_key);

  // Another definition: 403 problem+json, for reads and starts alike.
  auto def = http_call(port, "GET", "/api/v1/definitions/OneStepNotepadRunner", {}, as_runner);
  auto p = expect_problem(def, 403);
  CHECK(text(p, "detail").find("OneStepNotepadRunner") != std::string::npos);
  expect_problem(http_call(port, "POST", "/api/v1/processes",
                           R"({"definition":"OneStepNotepadRunner",
                               "values":{"username":"a","surname":"b"}})",
                           as_runner),
                 403);
  // The list shows only what the globs allow.
  auto list = http_call(port, "GET", "/api/v1/definitions", {}, as_runner);
  REQUIRE(list.status == 200);
  CHECK(list.body.find("LoanApproval") != std::string::npos);
  CHECK(list.body.find("OneStepNotepadRunner") == std::string::npos);

  // A process of another definition, started by the admin.
  REQUIRE(deploy(port, "Waiting", waiting_definition, key_header(admin)).status / 100 == 2);
  auto other = start(port, R"({"definition":"Waiting"})", key_header(admin));
  // A foreign process answers as an unknown one: its existence is not revealed, also when
  // the admin's read of it left its answer rendered and kept.
  REQUIRE(http_call(port, "GET", "/api/v1/processes/" + other, {}, key_header(admin)).status ==
          200);
  expect_problem(http_call(port, "GET", "/api/v1/processes/" + other, {}, as_runner), 404);
  auto foreign_step = complete_step(port, other + "-1", "{}", as_runner);
  INFO(foreign_step.body);
  CHECK(foreign_step.status == 403);
  CHECK(text(object_of(foreign_step), "message") == "Forbidden");
  // A glob that matches the text "*" (any one character) gives no right to every process.
  auto one_char = create_client(port, admin, "onechar", "runner", R"(["?"])");
  CHECK(complete_step(port, other + "-1", "{}", key_header(one_char.api_key)).status == 403);
  CHECK(text(get_process(port, other, key_header(admin)), "status") == "RUNNING");

  // Its own definition: start and read are fine; cancel needs an operator.
  auto loan = start(port, loan_start, as_runner);
  get_process(port, loan, as_runner);
  auto cancel = http_call(port, "POST", "/api/v1/processes/" + loan + "/cancel", {}, as_runner);
  p = expect_problem(cancel, 403);
  CHECK(text(p, "detail").find("operator") != std::string::npos);
  CHECK(text(get_process(port, loan, as_runner), "status") == "RUNNING");
  auto by_operator =
      http_call(port, "POST", "/api/v1/processes/" + loan + "/cancel", {}, key_header(op.api_key));
  INFO(by_operator.body);
  CHECK(by_operator.status == 200);
  CHECK(text(get_process(port, loan, as_runner), "status") == "CANCELLED");
  // An operator's globs hold too.
  expect_problem(
      http_call(port, "POST", "/api/v1/processes/" + other + "/cancel", {}, key_header(op.api_key)),
      404);

  // Definitions and clients are the admin's.
  expect_problem(deploy(port, "LoanApproval2", waiting_definition, as_runner), 403);
  expect_problem(deploy(port, "LoanApproval2", waiting_definition, key_header(op.api_key)), 403);
  expect_problem(http_call(port, "GET", "/api/v1/clients", {}, key_header(op.api_key)), 403);
  expect_problem(
      http_call(port, "POST", "/api/v1/clients", R"({"name":"mine","role":"admin"})", as_runner),
      403);
  CHECK(deploy(port, "LoanApproval2", waiting_definition, key_header(admin)).status == 201);
}

// ---- Basic ---------------------------------------------------------------------------------

TEST_CASE("Basic: the password works, a wrong one does not, and a hot path hashes once",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto c = create_client(port, admin, "basic1", "runner");

  auto wrong = http_call(port, "GET", "/api/v1/definitions", {}, basic("basic1", "nope"));
  expect_problem(wrong, 401);  // failure 1
  CHECK(wrong.header("WWW-Authenticate").find("Basic") != std::string::npos);

  auto before = metric(port, "baton_password_hashes_total", admin);
  CHECK(read_status(port, basic("basic1", c.password)) == 200);
  auto after_first = metric(port, "baton_password_hashes_total", admin);
  CHECK(after_first == before + 1);
  for (int i = 0; i < 25; ++i) REQUIRE(read_status(port, basic("basic1", c.password)) == 200);
  CHECK(get_process(port, start(port, loan_start, basic("basic1", c.password)),
                    basic("basic1", c.password))
            .contains("id"));
  CHECK(metric(port, "baton_password_hashes_total", admin) == after_first);

  // Rotate drops the cached check: the old password fails at once, the new one works.
  auto rotated = client_action(port, admin, "basic1", "rotate");
  auto new_password = text(rotated, "password");
  CHECK(read_status(port, basic("basic1", c.password)) == 401);  // failure 2
  CHECK(read_status(port, basic("basic1", new_password)) == 200);
  // Disable drops it too.
  client_action(port, admin, "basic1", "disable");
  CHECK(read_status(port, basic("basic1", new_password)) == 401);  // failure 3
}

// ---- OAuth ---------------------------------------------------------------------------------

TEST_CASE("OAuth: both grants answer a signed token, Bearer and OAuth headers use it, revoke",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "oauth1", "runner");

  auto r = password_grant(port, "oauth1", c.password);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto token = object_of(r);
  auto access = text(token, "access_token");
  CHECK(access.size() >= 32);
  CHECK(text(token, "token_type") == "Bearer");
  auto instance = text(token, "instance_url");
  CHECK(instance.rfind("https://", 0) == 0);
  CHECK(text(token, "id").rfind(instance + "/id/", 0) == 0);
  auto issued = text(token, "issued_at");
  REQUIRE(!issued.empty());
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  CHECK(std::abs(std::stoll(issued) - now_ms) < 60'000);
  auto signature = text(token, "signature");
  CHECK(signature.size() == 44);  // base64 of a 32-byte HMAC-SHA256
  CHECK(signature.back() == '=');
  CHECK(signature.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
        std::string::npos);

  auto credentials =
      form_post(port, "/services/oauth2/token",
                "grant_type=client_credentials&client_id=oauth1&client_secret=" + c.password);
  INFO(credentials.body);
  REQUIRE(credentials.status == 200);
  auto second = text(object_of(credentials), "access_token");
  CHECK(second != access);

  CHECK(read_status(port, bearer(access)) == 200);
  CHECK(read_status(port, bearer(second)) == 200);
  CHECK(read_status(port, {{"Authorization", "OAuth " + b64(r.body)}}) == 200);
  CHECK(http_call(port, "POST", "/api/v1/processes", std::string(loan_start), bearer(access))
            .status == 201);

  // A tampered signature: the same JSON with another valid-looking signature.
  auto tampered = token;
  auto flipped = signature;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  tampered["signature"] = flipped;
  CHECK(read_status(port, {{"Authorization", "OAuth " + b64(json::serialize(tampered))}}) ==
        401);  // failure 1

  // Revoke: the same answer for known and unknown tokens; the revoked one stops working.
  auto revoke = form_post(port, "/services/oauth2/revoke", "token=" + access);
  CHECK(revoke.status == 200);
  CHECK(form_post(port, "/services/oauth2/revoke", "token=nosuchtoken").status == 200);
  CHECK(read_status(port, bearer(access)) == 401);  // failure 2
  CHECK(read_status(port, bearer(second)) == 200);

  // Errors: an unsupported grant (not an authentication failure), then a wrong password.
  auto unsupported =
      form_post(port, "/services/oauth2/token", "grant_type=authorization_code&code=x");
  CHECK(unsupported.status == 400);
  CHECK(text(object_of(unsupported), "error") == "unsupported_grant_type");
  auto bad = password_grant(port, "oauth1", "wrong");  // failure 3
  CHECK(bad.status == 400);
  CHECK(text(object_of(bad), "error") == "invalid_grant");
  CHECK(bad.body.find("access_token") == std::string::npos);
}

TEST_CASE("OAuth: X-Forwarded-Host must name the configured host, tokens expire", "[e2e][auth]") {
  baton_server server(auth_options(
      {{"BATON_AUTH__OAUTH_HOST", "api.example.test"}, {"BATON_AUTH__TOKEN_TTL_MS", "600"}}));
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "oauth2", "runner");
  header_list right_host = {{"X-Forwarded-Host", "api.example.test"}};
  header_list wrong_host = {{"X-Forwarded-Host", "evil.example.test"}};

  auto refused = password_grant(port, "oauth2", c.password, wrong_host);
  CHECK(refused.status == 400);
  CHECK(refused.body.find("access_token") == std::string::npos);

  auto r = password_grant(port, "oauth2", c.password, right_host);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto token = object_of(r);
  CHECK(text(token, "instance_url") == "https://api.example.test");
  auto access = text(token, "access_token");
  auto with = [&](header_list host) {
    host.emplace_back("Authorization", "Bearer " + access);
    return host;
  };
  CHECK(read_status(port, with(right_host)) == 200);
  auto oauth = header_list{{"Authorization", "OAuth " + b64(r.body)}, right_host[0]};
  CHECK(read_status(port, oauth) == 200);
  CHECK(read_status(port, with(wrong_host)) == 401);  // failure 1
  CHECK(read_status(port, with({})) == 401);          // failure 2

  // Past the 600 ms lifetime the token is refused even from the right host.
  std::this_thread::sleep_for(800ms);
  CHECK(read_status(port, with(right_host)) == 401);  // failure 3
}

// ---- sessions ------------------------------------------------------------------------------

TEST_CASE("session login sets the cookies, requests need BPMCSRF, logout ends the session",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "user1", "runner");

  auto r = login_call(port, "user1", c.password, R"(,"ForceUseSession":true)");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto answer = object_of(r);
  CHECK(answer.at("Code").to_number<int>() == 0);
  CHECK(text(answer, "Message").empty());
  for (auto key : {"Exception", "PasswordChangeUrl", "RedirectUrl"}) {
    CHECK(answer.contains(key));
    CHECK(answer.at(key).is_null());
  }
  auto cookies = cookies_of(r);
  INFO(r.header("Set-Cookie"));
  for (auto name : {"BPMSESSIONID", ".ASPXAUTH"}) {
    REQUIRE(cookies.count(name) == 1);
    CHECK(!cookies[name].value.empty());
    CHECK(cookies[name].attributes.count("httponly") == 1);
  }
  REQUIRE(cookies.count("BPMCSRF") == 1);
  CHECK(!cookies["BPMCSRF"].value.empty());
  CHECK(cookies["BPMCSRF"].attributes.count("httponly") == 0);  // scripts must read it
  CHECK(cookies["UserName"].value == "user1");
  session s{cookies["BPMSESSIONID"].value, cookies["BPMCSRF"].value};

  CHECK(read_status(port, s.headers()) == 200);
  CHECK(http_call(port, "POST", "/api/v1/processes", std::string(loan_start), s.headers()).status ==
        201);

  // Cookies without the header (what a cross-site form would send): 401.
  auto no_header = http_call(port, "GET", "/api/v1/definitions", {},
                             {{"Cookie", "BPMSESSIONID=" + s.id + "; BPMCSRF=" + s.csrf}});
  auto missing = expect_problem(no_header, 401);  // failure 1
  // It says what is missing, which is no secret: the login gave it as a cookie.
  CHECK(text(missing, "detail").find("BPMCSRF header is missing") != std::string::npos);
  // A header that differs from the cookie, and a forged pair that matches but is not bound
  // to the session.
  CHECK(read_status(port, {{"Cookie", "BPMSESSIONID=" + s.id + "; BPMCSRF=" + s.csrf},
                           {"BPMCSRF", s.csrf + "x"}}) == 401);        // failure 2
  CHECK(read_status(port, session{s.id, "forged"}.headers()) == 401);  // failure 3

  // The /0 prefix logs in too; logging out one session leaves the other.
  auto other = http_call(port, "POST", "/0/ServiceModel/AuthService.svc/Login",
                         R"({"UserName":"user1","UserPassword":")" + c.password + "\"}");
  REQUIRE(other.status == 200);
  auto other_cookies = cookies_of(other);
  session s2{other_cookies["BPMSESSIONID"].value, other_cookies["BPMCSRF"].value};
  CHECK(s2.id != s.id);

  auto out = http_call(port, "POST", "/ServiceModel/AuthService.svc/Logout", "{}", s.headers());
  CHECK(out.status == 200);
  CHECK(cookies_of(out)["BPMSESSIONID"].value.empty());
  CHECK(read_status(port, s2.headers()) == 200);
  CHECK(read_status(port, s.headers()) == 401);  // the 4th failure: nothing follows it
}

TEST_CASE("Logout ends a session only when the request carries its BPMCSRF header", "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "leaver", "runner");
  auto s = login(port, "leaver", c.password);
  // What another site's form could send: the cookies alone. The cookies are cleared in the
  // answer, but the session lives on.
  auto forged = http_call(port, "POST", "/ServiceModel/AuthService.svc/Logout", "{}",
                          {{"Cookie", "BPMSESSIONID=" + s.id + "; BPMCSRF=" + s.csrf}});
  CHECK(forged.status == 200);
  CHECK(read_status(port, s.headers()) == 200);
  auto real = http_call(port, "POST", "/ServiceModel/AuthService.svc/Logout", "{}", s.headers());
  CHECK(real.status == 200);
  CHECK(read_status(port, s.headers()) == 401);
}

TEST_CASE("sessions slide while used and expire when idle, wrong credentials say Code 1",
          "[e2e][auth]") {
  baton_server server(auth_options({{"BATON_AUTH__SESSION_TTL_MS", "600"}}));
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "user2", "runner");

  auto wrong_password = login_call(port, "user2", "wrong");  // failure 1
  auto unknown_name = login_call(port, "nobody", "wrong");   // failure 2
  REQUIRE(wrong_password.status == 200);
  REQUIRE(unknown_name.status == 200);
  auto a = object_of(wrong_password);
  auto b = object_of(unknown_name);
  CHECK(a.at("Code").to_number<int>() == 1);
  CHECK(b.at("Code").to_number<int>() == 1);
  CHECK(!text(a, "Message").empty());
  CHECK(text(a, "Message") == text(b, "Message"));
  CHECK(wrong_password.header("Set-Cookie").empty());

  auto s = login(port, "user2", c.password);
  // Used every 200 ms for 1 s (longer than the 600 ms lifetime): it slides.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(200ms);
    INFO("use " << i);
    REQUIRE(read_status(port, s.headers()) == 200);
  }
  // Idle past the lifetime: gone.
  std::this_thread::sleep_for(800ms);
  CHECK(read_status(port, s.headers()) == 401);  // failure 3
}

// ---- throttling ----------------------------------------------------------------------------

TEST_CASE("a failure never says whether the name or the secret was wrong", "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  create_client(port, admin, "victim", "runner");

  auto hashes = metric(port, "baton_password_hashes_total", admin);
  auto wrong_secret = http_call(port, "GET", "/api/v1/definitions", {}, basic("victim", "guess"));
  auto after_wrong = metric(port, "baton_password_hashes_total", admin);
  auto wrong_name = http_call(port, "GET", "/api/v1/definitions", {}, basic("ghost", "guess"));
  auto after_unknown = metric(port, "baton_password_hashes_total", admin);
  auto a = expect_problem(wrong_secret, 401);
  auto b = expect_problem(wrong_name, 401);
  CHECK(text(a, "title") == text(b, "title"));
  CHECK(text(a, "detail") == text(b, "detail"));
  CHECK(text(a, "detail").find("victim") == std::string::npos);
  CHECK(wrong_secret.header("WWW-Authenticate") == wrong_name.header("WWW-Authenticate"));
  // An unknown name costs a hash too, so timing does not tell it apart either.
  CHECK(after_wrong == hashes + 1);
  CHECK(after_unknown == after_wrong + 1);

  auto token_secret = password_grant(port, "victim", "guess");
  auto token_name = password_grant(port, "ghost", "guess");  // the 4th failure, answered
  CHECK(token_secret.status == 400);
  CHECK(token_secret.status == token_name.status);
  CHECK(token_secret.body == token_name.body);
}

TEST_CASE("repeated failures are throttled with Retry-After, then the owner gets in",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "victim", "runner");

  for (int i = 0; i < 4; ++i) {
    INFO("attempt " << i);
    CHECK(read_status(port, basic("victim", "guess" + std::to_string(i))) == 401);
  }
  // Now even the right password waits, in each front end's own format.
  auto r = http_call(port, "GET", "/api/v1/definitions", {}, basic("victim", c.password));
  auto p = expect_problem(r, 429);
  auto retry = r.header("Retry-After");
  REQUIRE(!retry.empty());
  auto seconds = std::stoi(retry);
  CHECK(seconds >= 1);
  REQUIRE(seconds <= 5);  // 4 failures: the first delay, 1 s
  CHECK(text(p, "detail").find("victim") == std::string::npos);

  auto token = password_grant(port, "victim", c.password);
  CHECK(token.status == 429);
  CHECK(!token.header("Retry-After").empty());
  auto login_r = login_call(port, "victim", c.password);
  CHECK(login_r.status == 429);
  CHECK(object_of(login_r).at("Code").to_number<int>() == 1);
  CHECK(!login_r.header("Retry-After").empty());
  auto connector = http_call(port, "GET", "/scheduler/connector-api/process/status/x", {},
                             basic("victim", c.password));
  CHECK(connector.status == 429);

  std::this_thread::sleep_for(std::chrono::seconds(seconds) + 100ms);
  CHECK(read_status(port, basic("victim", c.password)) == 200);
}

// ---- vendor front ends ---------------------------------------------------------------------

TEST_CASE("complete-step and the connector API answer 401 in their own formats", "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto c = create_client(port, admin_key(server), "vendor", "runner");

  auto step = complete_step(port, "nosuch-1", "{}");
  REQUIRE(step.status == 401);
  auto e = object_of(step);
  CHECK(text(e, "message") == "Unauthorized request");
  CHECK(is_iso_utc_ms(text(e, "timestamp")));
  CHECK(!step.header("WWW-Authenticate").empty());
  // With credentials the same call reaches the engine (an unknown step: 412).
  CHECK(complete_step(port, "nosuch-1", "{}", key_header(c.api_key)).status == 412);

  auto status_path = std::string("/scheduler/connector-api/process/status/nosuch");
  auto none = http_call(port, "GET", status_path);
  REQUIRE(none.status == 401);
  CHECK(none.header("WWW-Authenticate").rfind("Basic", 0) == 0);
  CHECK(none.header("WWW-Authenticate").find("Bearer") == std::string::npos);
  CHECK(object_of(none).contains("message"));
  // Basic only: an API key is no credential here.
  CHECK(http_call(port, "GET", status_path, {}, key_header(c.api_key)).status == 401);
  auto with_basic = http_call(port, "GET", status_path, {}, basic("vendor", c.password));
  INFO(with_basic.body);
  CHECK(with_basic.status == 404);
}

// ---- audit ---------------------------------------------------------------------------------

TEST_CASE("the audit log records logins, failures, throttling, client and definition changes",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto op = create_client(port, admin, "auditee", "operator");
  auto other = create_client(port, admin, "other", "runner");
  client_action(port, admin, "other", "rotate");
  client_action(port, admin, "other", "disable");
  REQUIRE(deploy(port, "Audited", waiting_definition, key_header(admin)).status == 201);
  auto id = start(port, loan_start, key_header(op.api_key));
  REQUIRE(http_call(port, "POST", "/api/v1/processes/" + id + "/cancel", {}, key_header(op.api_key))
              .status == 200);
  login(port, "auditee", op.password);
  expect_problem(http_call(port, "GET", "/api/v1/audit", {}, key_header(op.api_key)), 403);

  // Four failures, then one throttled attempt; then wait so the admin may read.
  for (int i = 0; i < 4; ++i)
    read_status(port, basic("auditee", "secret-guess-" + std::to_string(i)));
  auto throttled = http_call(port, "GET", "/api/v1/definitions", {}, basic("auditee", "x"));
  REQUIRE(throttled.status == 429);
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(throttled.header("Retry-After"))) +
                              100ms);

  const std::set<std::string> wanted = {
      "auth_failed",     "throttled",           "client_created",    "client_rotated",
      "client_disabled", "definition_deployed", "process_cancelled", "login"};
  std::set<std::string> seen;
  std::string body;
  // Entries are written behind the answers: poll briefly.
  for (int i = 0; i < 50 && seen != wanted; ++i) {
    auto r = http_call(port, "GET", "/api/v1/audit?limit=1000", {}, key_header(admin));
    REQUIRE(r.status == 200);
    body = r.body;
    seen.clear();
    auto entries = parse(body);
    for (const auto& entry : entries.as_array()) {
      auto type = text(entry.as_object(), "type");
      if (wanted.count(type)) seen.insert(type);
    }
    if (seen != wanted) std::this_thread::sleep_for(50ms);
  }
  INFO(body);
  CHECK(seen == wanted);
  auto entries = parse(body);
  for (const auto& entry : entries.as_array()) {
    const auto& o = entry.as_object();
    CHECK(o.at("atMs").is_int64());
    if (text(o, "type") == "client_created") CHECK(text(o, "client") == "admin");
    if (text(o, "type") == "process_cancelled") CHECK(text(o, "client") == "auditee");
    if (text(o, "type") == "throttled" || text(o, "type") == "login") {
      CHECK(text(o, "client") == "auditee");
      CHECK(text(o, "source") == "127.0.0.1");
    }
  }
  // Secrets never reach the log.
  CHECK(body.find("secret-guess") == std::string::npos);
  CHECK(body.find(op.password) == std::string::npos);
  CHECK(body.find(op.api_key) == std::string::npos);

  auto logins = http_call(port, "GET", "/api/v1/audit?type=login", {}, key_header(admin));
  REQUIRE(logins.status == 200);
  auto only = parse(logins.body).as_array();
  CHECK(only.size() == 1);
  for (const auto& entry : only) CHECK(text(entry.as_object(), "type") == "login");
  auto last = http_call(port, "GET", "/api/v1/audit?limit=1", {}, key_header(admin));
  REQUIRE(last.status == 200);
  CHECK(parse(last.body).as_array().size() == 1);
}

// ---- the CLI -------------------------------------------------------------------------------

TEST_CASE("baton clients creates, lists and disables clients with the server stopped",
          "[e2e][auth]") {
  baton_server server(auth_options());
  auto admin = admin_key(server);
  // While the server holds the store the CLI refuses and says why.
  auto [busy, busy_status] = run_command(cli(server, "list"));
  CHECK(busy_status != 0);
  CHECK(busy.find("stop the server") != std::string::npos);
  server.stop();

  auto [created, status] =
      run_command(cli(server, "create x --role operator --definitions 'A*,B*'"));
  INFO(created);
  REQUIRE(status == 0);
  auto key_at = created.find("api key:");
  REQUIRE(key_at != std::string::npos);
  std::istringstream key_line(created.substr(key_at + 8));
  std::string key;
  key_line >> key;
  REQUIRE(key.size() == 64);
  auto password_at = created.find("password:");
  REQUIRE(password_at != std::string::npos);
  std::istringstream password_line(created.substr(password_at + 9));
  std::string password;
  password_line >> password;
  REQUIRE(!password.empty());
  CHECK(created.find("operator") != std::string::npos);
  CHECK(created.find("A*,B*") != std::string::npos);

  auto [listed, list_status] = run_command(cli(server, "list"));
  INFO(listed);
  CHECK(list_status == 0);
  CHECK(listed.find("admin\tadmin\tenabled") != std::string::npos);
  CHECK(listed.find("x\toperator\tenabled\tA*,B*") != std::string::npos);
  CHECK(listed.find(key) == std::string::npos);
  CHECK(listed.find(password) == std::string::npos);
  auto [again, again_status] = run_command(cli(server, "create x --role runner"));
  CHECK(again_status != 0);

  server.start();
  auto port = server.port();
  CHECK(read_status(port, key_header(key)) == 200);
  CHECK(read_status(port, basic("x", password)) == 200);
  REQUIRE(deploy(port, "Alpha", waiting_definition, key_header(admin)).status == 201);
  auto list = http_call(port, "GET", "/api/v1/definitions", {}, key_header(key));
  CHECK(list.body.find("Alpha") != std::string::npos);
  CHECK(list.body.find("LoanApproval") == std::string::npos);
  expect_problem(http_call(port, "GET", "/api/v1/definitions/LoanApproval", {}, key_header(key)),
                 403);

  server.stop();
  auto [disabled, disable_status] = run_command(cli(server, "disable x"));
  INFO(disabled);
  CHECK(disable_status == 0);
  CHECK(disabled.find("disabled") != std::string::npos);
  CHECK(disabled.find("api key:") == std::string::npos);
  server.start();
  CHECK(read_status(server.port(), key_header(key)) == 401);
  CHECK(read_status(server.port(), key_header(admin)) == 200);
}
