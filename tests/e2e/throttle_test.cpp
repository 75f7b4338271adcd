// Throttling falls on the guesser alone: failures from 127.0.0.1 (where every test client
// is) never cost another client with valid credentials from the same address its answers.

#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/auth_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Makes `attempts` failed requests with `headers_for(i)`; REQUIREs each to be 401 or 429,
/// most of them 429, and a 429 with a Retry-After of at least one second at the end.
template <class Headers>
void guess(std::uint16_t port, int attempts, Headers headers_for) {
  test_response last;
  int throttled = 0;
  // A delay may run out while the guesser works (Argon2 takes a while on a busy machine);
  // the next failure then starts a longer one, so a 429 is at most one attempt away.
  for (int i = 0; i < attempts || (last.status != 429 && i < attempts + 2); ++i) {
    last = http_call(port, "GET", "/api/v1/definitions", {}, headers_for(i));
    INFO("attempt " << i << ": " << last.status << " " << last.body);
    REQUIRE((last.status == 401 || last.status == 429));
    throttled += last.status == 429;
  }
  CHECK(throttled > attempts / 2);  // 3 free failures, then delays of 1 s, 2 s, 4 s …
  REQUIRE(last.status == 429);
  REQUIRE(!last.header("Retry-After").empty());
  CHECK(std::stoi(last.header("Retry-After")) >= 1);
}

/// Every credential scheme of a client that did nothing wrong works from 127.0.0.1.
void bystanders_are_answered(std::uint16_t port, const std::string& admin,
                             const new_client& bystander) {
  CHECK(read_status(port, key_header(admin)) == 200);
  CHECK(read_status(port, key_header(bystander.api_key)) == 200);
  CHECK(read_status(port, bearer(bystander.api_key)) == 200);
  CHECK(read_status(port, basic(bystander.name, bystander.password)) == 200);
  auto s = login(port, bystander.name, bystander.password);
  CHECK(read_status(port, s.headers()) == 200);
  auto token = password_grant(port, bystander.name, bystander.password);
  REQUIRE(token.status == 200);
  CHECK(read_status(port, bearer(text(object_of(token), "access_token"))) == 200);
}

}  // namespace

TEST_CASE(
    "100 wrong passwords for one name: that name waits, everyone else from 127.0.0.1 "
    "is answered",
    "[e2e][auth][throttle]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto victim = create_client(port, admin, "victim", "runner");
  auto bystander = create_client(port, admin, "bystander", "runner");

  guess(port, 100, [](int i) { return basic("victim", "guess-" + std::to_string(i)); });
  bystanders_are_answered(port, admin, bystander);
  // The victim's own API key is a different credential: the password block does not touch it.
  CHECK(read_status(port, key_header(victim.api_key)) == 200);
}

TEST_CASE(
    "100 unknown names and keys from one address: the address waits for unknown "
    "credentials, valid ones from it are answered",
    "[e2e][auth][throttle]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto bystander = create_client(port, admin, "bystander", "runner");

  guess(port, 100, [](int i) { return basic("nobody-" + std::to_string(i), "x"); });
  guess(port, 10, [](int i) { return key_header("not-a-key-" + std::to_string(i)); });
  guess(port, 10, [](int i) { return bearer("not-a-token-" + std::to_string(i)); });
  bystanders_are_answered(port, admin, bystander);
}

TEST_CASE("one unknown name guessed 100 times waits by name, real names still get in",
          "[e2e][auth][throttle]") {
  baton_server server(auth_options());
  auto port = server.port();
  auto admin = admin_key(server);
  auto bystander = create_client(port, admin, "bystander", "runner");

  guess(port, 100, [](int i) { return basic("ghost", "guess-" + std::to_string(i)); });
  bystanders_are_answered(port, admin, bystander);
}
