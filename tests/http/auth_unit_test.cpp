// The small pieces of authentication that need no server: definition globs, base64 both ways,
// and the throttle's delays.

#include <catch2/catch.hpp>
#include <string>

#include "http/auth/check_slots.hpp"
#include "http/auth/clients.hpp"
#include "http/auth/grants.hpp"
#include "http/auth/secrets.hpp"
#include "http/base64.hpp"

using namespace baton::http;
using auth::glob_match;

TEST_CASE("definition globs match whole names with * and ?", "[http][auth]") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "LoanApproval"));
  CHECK(glob_match("Loan*", "LoanApproval"));
  CHECK(glob_match("Loan*", "Loan"));
  CHECK_FALSE(glob_match("Loan*", "OneStepNotepadRunner"));
  CHECK_FALSE(glob_match("Loan*", "MyLoan"));       // anchored at the start
  CHECK_FALSE(glob_match("Loan", "LoanApproval"));  // and at the end
  CHECK(glob_match("*Approval", "LoanApproval"));
  CHECK(glob_match("L?an*", "LoanApproval"));
  CHECK_FALSE(glob_match("L?an*", "Lan"));
  CHECK(glob_match("*a*a*", "banana"));
  CHECK_FALSE(glob_match("*x*", "banana"));
  CHECK(glob_match("A*B*C", "AxxBxxBxxC"));  // backtracks past the first B
  CHECK_FALSE(glob_match("A*B*C", "AxxBxxC x"));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("loan*", "LoanApproval"));  // case matters, as names do

  auth::client c;
  c.definitions = {"A*", "B*"};
  CHECK(c.may_use("Alpha"));
  CHECK(c.may_use("Beta"));
  CHECK_FALSE(c.may_use("Gamma"));
}

TEST_CASE("base64 encodes with padding and decodes what Basic and OAuth headers carry",
          "[http][auth]") {
  CHECK(auth::base64("") == "");
  CHECK(auth::base64("f") == "Zg==");
  CHECK(auth::base64("fo") == "Zm8=");
  CHECK(auth::base64("foo") == "Zm9v");
  CHECK(auth::base64("k1:k1") == "azE6azE=");
  CHECK(auth::base64(std::string(32, '\xff')).size() == 44);  // an HMAC-SHA256 signature
  CHECK(auth::base64url(std::string("\xfb\xff", 2)) == "-_8");

  for (std::string text : {std::string(""), std::string("a"), std::string("ab"),
                           std::string("user:pass:with:colons"), std::string("\0\x01\xfe", 3)}) {
    bool ok = false;
    CHECK(base64_decode(auth::base64(text), ok) == text);
    CHECK(ok);
  }
  bool ok = true;
  base64_decode("!!!", ok);
  CHECK_FALSE(ok);
  ok = true;
  base64_decode("Zm9", ok);  // not a multiple of 4
  CHECK_FALSE(ok);
  ok = true;
  base64_decode("Zm9*", ok);
  CHECK_FALSE(ok);
}

TEST_CASE("the throttle allows 3 failures, then doubles its delay up to a cap", "[http][auth]") {
  auth::throttle t;
  for (int i = 0; i < 3; ++i) {
    t.name_failed("ann");
    CHECK(t.name_retry_after("ann") == 0);
  }
  t.name_failed("ann");
  CHECK(t.name_retry_after("ann") == 1);
  t.name_failed("ann");
  CHECK(t.name_retry_after("ann") == 2);
  t.name_failed("ann");
  CHECK(t.name_retry_after("ann") == 4);
  // A name's record is the name's alone: other names and every address are untouched.
  CHECK(t.name_retry_after("bob") == 0);
  CHECK(t.address_retry_after("10.0.0.1") == 0);
  t.succeeded("ann");
  CHECK(t.name_retry_after("ann") == 0);

  // Caps: 30 s per name, 60 s per address.
  auth::throttle spread;
  for (int i = 0; i < 40; ++i) spread.name_failed("carl");
  CHECK(spread.name_retry_after("carl") == 30);
  auth::throttle sprayed;
  for (int i = 0; i < 40; ++i) sprayed.address_failed("10.2.0.1");
  CHECK(sprayed.address_retry_after("10.2.0.1") == 60);
  CHECK(sprayed.address_retry_after("10.2.0.2") == 0);
  CHECK(sprayed.name_retry_after("someone") == 0);
  // A success for a name does not clear an address.
  sprayed.succeeded("someone");
  CHECK(sprayed.address_retry_after("10.2.0.1") == 60);
}

TEST_CASE("the throttle reads the clock it is given: blocks end, quiet records clear",
          "[http][auth][clock]") {
  std::int64_t now = 1'700'000'000'000;
  auth::throttle t([&now] { return now; });
  for (int i = 0; i < 5; ++i) t.name_failed("ann");  // 3 free, then 1 s, then 2 s
  CHECK(t.name_retry_after("ann") == 2);
  now += 1'500;
  CHECK(t.name_retry_after("ann") == 1);  // rounded up: half a second left
  now += 500;
  CHECK(t.name_retry_after("ann") == 0);
  t.name_failed("ann");  // the sixth failure within ten minutes: 4 s
  CHECK(t.name_retry_after("ann") == 4);
  now += 600'001;  // ten quiet minutes: the next failure counts as the first
  t.name_failed("ann");
  CHECK(t.name_retry_after("ann") == 0);
}

TEST_CASE("passwords are Argon2id and each check counts once", "[http][auth]") {
  auto hash = auth::hash_password("correct horse");
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(hash.find("correct horse") == std::string::npos);
  CHECK(auth::hash_password("correct horse") != hash);  // salted
  auto before = auth::password_verifications();
  CHECK(auth::verify_password(hash, "correct horse"));
  CHECK_FALSE(auth::verify_password(hash, "correct horsE"));
  CHECK(auth::password_verifications() == before + 2);
  CHECK(auth::equal_constant_time("abc", "abc"));
  CHECK_FALSE(auth::equal_constant_time("abc", "abd"));
  CHECK_FALSE(auth::equal_constant_time("abc", "abcd"));
}

TEST_CASE("check slots: a bounded number taken at once, given back when released", "[http][auth]") {
  auth::check_slots slots(2);
  auto a = slots.try_take();
  auto b = slots.try_take();
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(slots.try_take());
  CHECK(slots.taken() == 2);
  a.reset();
  CHECK(slots.taken() == 1);
  auto c = slots.try_take();
  CHECK(c);
  CHECK_FALSE(slots.try_take());
}
