// Auth writes are answered only once durable: each kind is written, the server is killed
// with SIGKILL as soon as the 2xx arrives, restarted on the same data folder, and the
// credential the answer carried works (or, for a disable, keeps failing).

#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/auth_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// SIGKILL, as a crash would, then the same data folder again. @returns the new port.
std::uint16_t crash_and_restart(baton_server& server) {
  server.kill9();
  server.start();
  return server.port();
}

}  // namespace

TEST_CASE("a created client's key survives a kill -9 right after the 201",
          "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto admin = admin_key(server);
  auto c = create_client(server.port(), admin, "fresh", "runner");
  auto port = crash_and_restart(server);
  CHECK(read_status(port, key_header(c.api_key)) == 200);
  CHECK(read_status(port, basic("fresh", c.password)) == 200);
}

TEST_CASE("a rotated key survives a kill -9 right after the 200, the old one stays dead",
          "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto admin = admin_key(server);
  auto c = create_client(server.port(), admin, "rotated", "runner");
  auto rotated = client_action(server.port(), admin, "rotated", "rotate");
  auto new_key = text(rotated, "apiKey");
  REQUIRE(!new_key.empty());
  auto port = crash_and_restart(server);
  CHECK(read_status(port, key_header(new_key)) == 200);
  CHECK(read_status(port, key_header(c.api_key)) == 401);
}

TEST_CASE("a disable survives a kill -9 right after the 200", "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto admin = admin_key(server);
  auto c = create_client(server.port(), admin, "disabled", "runner");
  client_action(server.port(), admin, "disabled", "disable");
  auto port = crash_and_restart(server);
  CHECK(read_status(port, key_header(c.api_key)) == 401);
}

TEST_CASE("an issued token survives a kill -9 right after the 200", "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto c = create_client(server.port(), admin_key(server), "tokened", "runner");
  auto r = password_grant(server.port(), "tokened", c.password);
  REQUIRE(r.status == 200);
  auto token = text(object_of(r), "access_token");
  auto port = crash_and_restart(server);
  CHECK(read_status(port, bearer(token)) == 200);
}

TEST_CASE("an opened session survives a kill -9 right after the login", "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto c = create_client(server.port(), admin_key(server), "sessioned", "runner");
  auto s = login(server.port(), "sessioned", c.password);
  auto port = crash_and_restart(server);
  CHECK(read_status(port, s.headers()) == 200);
}

TEST_CASE("a revoked token stays revoked after a kill -9 right after the 200",
          "[e2e][auth][durability]") {
  baton_server server(auth_options());
  auto c = create_client(server.port(), admin_key(server), "revoker", "runner");
  auto r = password_grant(server.port(), "revoker", c.password);
  REQUIRE(r.status == 200);
  auto token = text(object_of(r), "access_token");
  REQUIRE(form_post(server.port(), "/services/oauth2/revoke", "token=" + token).status == 200);
  auto port = crash_and_restart(server);
  CHECK(read_status(port, bearer(token)) == 401);
}
