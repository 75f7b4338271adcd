// The client directory and grant store over a real store: what a password check costs and
// when it refuses, and that grants are usable only once durable and survive a reopen.

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <string>

#include "http/auth/clients.hpp"
#include "http/auth/grants.hpp"
#include "http/auth/secrets.hpp"
#include "storage/process_store.hpp"
#include "tests/support/baton_server.hpp"

using namespace baton;
using namespace baton::http;

namespace {

std::unique_ptr<storage::process_store> open_store(const baton::test::temp_dir& dir) {
  auto opened = storage::process_store::open((dir.path() / "data").string(), true);
  if (!opened.ok()) FAIL("cannot open the store: " << opened.error().describe());
  return std::move(opened).value();
}

/// Creates `name`; REQUIREs success and @returns its client and secrets.
std::pair<auth::client, auth::issued_secrets> create(auth::client_directory& d,
                                                     const std::string& name) {
  std::promise<auth::client_directory::result> done;
  d.create(name, auth::role::runner, {"*"},
           [&done](auth::client_directory::result r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  REQUIRE(std::holds_alternative<std::pair<auth::client, auth::issued_secrets>>(r));
  return std::get<0>(r);
}

}  // namespace

TEST_CASE("an unknown name and a wrong password both cost one Argon2 check", "[http][auth]") {
  baton::test::temp_dir dir;
  auto store = open_store(dir);
  auth::client_directory d(*store);
  auto [ann, secrets] = create(d, "ann");

  auto before = auth::password_verifications();
  auto wrong = d.check_password("ann", "not the password");
  CHECK(wrong.result == auth::password_check::kind::wrong);
  CHECK(wrong.name_known);
  CHECK(auth::password_verifications() == before + 1);

  auto unknown = d.check_password("nobody", "not the password");
  CHECK(unknown.result == auth::password_check::kind::wrong);
  CHECK_FALSE(unknown.name_known);
  CHECK(auth::password_verifications() == before + 2);

  auto right = d.check_password("ann", secrets.password);
  REQUIRE(right.result == auth::password_check::kind::ok);
  CHECK(right.who->name == "ann");
  CHECK(auth::password_verifications() == before + 3);
  CHECK(d.password_slots().taken() == 0);  // every check gave its slot back
}

TEST_CASE("a check that finds no free slot is busy at once, a cached one needs no slot",
          "[http][auth]") {
  baton::test::temp_dir dir;
  auto store = open_store(dir);
  auth::client_directory d(*store, 1);
  auto [ann, ann_secrets] = create(d, "ann");
  auto [bob, bob_secrets] = create(d, "bob");
  REQUIRE(d.check_password("ann", ann_secrets.password).result == auth::password_check::kind::ok);

  {
    auto held = d.password_slots().try_take();  // as a check in flight would
    REQUIRE(held);
    CHECK_FALSE(d.password_slots().try_take());
    auto before = auth::password_verifications();
    CHECK(d.check_password("bob", bob_secrets.password).result == auth::password_check::kind::busy);
    CHECK(d.check_password("nobody", "x").result == auth::password_check::kind::busy);
    CHECK(auth::password_verifications() == before);  // nothing ran
    auto cached = d.check_password("ann", ann_secrets.password);
    CHECK(cached.result == auth::password_check::kind::ok);
  }
  CHECK(d.check_password("bob", bob_secrets.password).result == auth::password_check::kind::ok);
}

TEST_CASE("rotate and disable take effect once durable and survive a reopen", "[http][auth]") {
  baton::test::temp_dir dir;
  std::string new_key;
  {
    auto store = open_store(dir);
    auth::client_directory d(*store);
    auto [ann, secrets] = create(d, "ann");
    REQUIRE(d.by_api_key(secrets.api_key));
    std::promise<auth::client_directory::result> rotated;
    d.rotate("ann", [&](auth::client_directory::result r) { rotated.set_value(std::move(r)); });
    auto r = rotated.get_future().get();
    REQUIRE(std::holds_alternative<std::pair<auth::client, auth::issued_secrets>>(r));
    new_key = std::get<0>(r).second.api_key;
    CHECK_FALSE(d.by_api_key(secrets.api_key));
    CHECK(d.by_api_key(new_key));
  }
  auto store = open_store(dir);
  auth::client_directory d(*store);
  CHECK(d.by_api_key(new_key));
  std::promise<auth::client_directory::result> disabled;
  d.set_enabled("ann", false,
                [&](auth::client_directory::result r) { disabled.set_value(std::move(r)); });
  REQUIRE_FALSE(std::holds_alternative<auth::client_error>(disabled.get_future().get()));
  CHECK_FALSE(d.by_api_key(new_key));
}

TEST_CASE("tokens and sessions are answered once durable and survive a reopen", "[http][auth]") {
  baton::test::temp_dir dir;
  std::string token, session_id, closed_session;
  {
    auto store = open_store(dir);
    auth::client_directory d(*store);
    auth::grant_store g(*store, d.secret(), std::chrono::hours(1), std::chrono::hours(1));
    std::promise<std::string> issued;
    g.issue_token("ann-id", "https://x/id/ann-id",
                  [&](const storage::status& written, const auth::issued_token& t) {
                    CHECK(written.ok());
                    issued.set_value(t.access_token);
                  });
    token = issued.get_future().get();
    CHECK(g.check_token(token) == "ann-id");
    for (auto* target : {&session_id, &closed_session}) {
      std::promise<std::string> opened;
      g.open_session("ann-id", [&](const storage::status& written, const auth::issued_session& s) {
        CHECK(written.ok());
        opened.set_value(s.id);
      });
      *target = opened.get_future().get();
    }
    std::promise<bool> closed;
    g.close_session(closed_session, [&](const storage::status& written, bool was_open) {
      CHECK(written.ok());
      closed.set_value(was_open);
    });
    CHECK(closed.get_future().get());
    std::promise<bool> again;
    g.close_session(closed_session,
                    [&](const storage::status&, bool was_open) { again.set_value(was_open); });
    CHECK_FALSE(again.get_future().get());  // nothing left to close
  }
  auto store = open_store(dir);
  auth::client_directory d(*store);
  auth::grant_store g(*store, d.secret(), std::chrono::hours(1), std::chrono::hours(1));
  CHECK(g.check_token(token) == "ann-id");
  CHECK(g.check_session(session_id, g.csrf_for(session_id)) == "ann-id");
  CHECK_FALSE(g.check_session(closed_session, g.csrf_for(closed_session)));
  std::promise<bool> revoked;
  g.revoke_token(token, [&](const storage::status& written, bool was) {
    CHECK(written.ok());
    revoked.set_value(was);
  });
  CHECK(revoked.get_future().get());
  CHECK_FALSE(g.check_token(token));
}
