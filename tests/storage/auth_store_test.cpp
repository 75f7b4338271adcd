#include "storage/auth_store.hpp"

#include <catch2/catch.hpp>
#include <future>

#include "storage/fault_injection.hpp"
#include "storage/process_store.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using baton::testing::open_store;
using baton::testing::temp_dir;

namespace {

/// Runs `start(done)` and waits for the status it is answered with.
template <class Start>
storage::status written(Start start) {
  auto promise = std::make_shared<std::promise<storage::status>>();
  auto answered = promise->get_future();
  start([promise](const storage::status& s) { promise->set_value(s); });
  REQUIRE(answered.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return answered.get();
}

model::client ann() {
  model::client c;
  c.id = "ann-id";
  c.name = "ann";
  c.role = model::role::operator_;
  c.definitions = {"Loan*", "Wait"};
  c.enabled = false;
  c.password_hash = "$argon2id$x";
  c.api_key_hash = "abcd";
  c.created_ms = 1'700'000'000'000;
  c.generation = 7;
  return c;
}

}  // namespace

TEST_CASE("auth records survive a reopen: secret, clients, live grants", "[storage][auth]") {
  temp_dir dir;
  {
    auto store = open_store(dir);
    storage::auth_store auth(*store);
    REQUIRE_FALSE(auth.secret().value());  // none yet: not an error
    REQUIRE(auth.put_secret(std::string(32, 's')).ok());
    CHECK(written([&](auto done) { auth.put_client(ann(), done); }).ok());
    CHECK(written([&](auto done) {
            auth.put_grant(storage::grant_kind::token, "t1", {"ann-id", 2'000}, done);
          }).ok());
    CHECK(written([&](auto done) {
            auth.put_grant(storage::grant_kind::token, "t-old", {"ann-id", 500}, done);
          }).ok());
    CHECK(written([&](auto done) {
            auth.put_grant(storage::grant_kind::session, "s1", {"ann-id", 3'000}, done);
          }).ok());
    CHECK(written([&](auto done) {
            auth.erase_grant(storage::grant_kind::session, "s1", done);
          }).ok());
  }
  auto store = open_store(dir);
  storage::auth_store auth(*store);
  CHECK(auth.secret().value() == std::string(32, 's'));
  auto clients = auth.clients().value();
  REQUIRE(clients.size() == 1);
  const auto& c = clients.front();
  CHECK(c.id == "ann-id");
  CHECK(c.name == "ann");
  CHECK(c.role == model::role::operator_);
  CHECK(c.definitions == std::vector<std::string>{"Loan*", "Wait"});
  CHECK_FALSE(c.enabled);
  CHECK(c.password_hash == "$argon2id$x");
  CHECK(c.api_key_hash == "abcd");
  CHECK(c.created_ms == 1'700'000'000'000);
  CHECK(c.generation == 7);
  auto tokens = auth.grants(storage::grant_kind::token, 1'000).value();
  REQUIRE(tokens.size() == 1);  // the expired one is not handed out
  CHECK(tokens.at("t1").client_id == "ann-id");
  CHECK(tokens.at("t1").expires_ms == 2'000);
  CHECK(auth.grants(storage::grant_kind::session, 1'000).value().empty());
}

TEST_CASE("a client record that does not decode is none, not a default client", "[storage][auth]") {
  CHECK_FALSE(storage::decode_client(""));
  CHECK_FALSE(storage::decode_client("{\"id\":\"x\"}"));  // no format byte
  CHECK_FALSE(storage::decode_client(std::string(1, '\x01') + "not json"));
  CHECK(storage::decode_client(storage::encode_client(ann()))->name == "ann");
}

TEST_CASE("a full volume reaches the caller as no_space, by code", "[storage][auth]") {
  temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  storage::store_options options;
  options.min_free_bytes = 0;  // the device fails here, not the free-space guard
  options.faults = faults;
  auto opened = storage::process_store::open(dir.str(), options);
  REQUIRE(opened.ok());
  auto store = std::move(opened).value();
  storage::auth_store auth(*store);
  faults->failing = storage::storage_errc::no_space;
  auto refused = written([&](auto done) { auth.put_client(ann(), done); });
  CHECK(refused.code() == storage::storage_errc::no_space);
  faults->failing = storage::storage_errc::ok;
}
