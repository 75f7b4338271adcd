// The small pieces of authentication that need no server: definition globs, base64 both ways,
// and the throttle's delays.

#include <catch2/catch.hpp>
#include <string>

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
    t.failed("ann", "10.0.0.1");
    CHECK(t.retry_after("ann", "10.0.0.1") == 0);
  }
  t.failed("ann", "10.0.0.1");
  CHECK(t.retry_after("ann", "10.0.0.1") == 1);
  t.failed("ann", "10.0.0.1");
  CHECK(t.retry_after("ann", "10.0.0.1") == 2);
  t.failed("ann", "10.0.0.1");
  CHECK(t.retry_after("ann", "10.0.0.1") == 4);
  // Both records block: the name from any address, the address for any name.
  CHECK(t.retry_after("ann", "10.0.0.2") == 4);
  CHECK(t.retry_after("bob", "10.0.0.1") == 4);
  CHECK(t.retry_after("bob", "10.0.0.2") == 0);
  // A success clears the name's record, not the address's.
  t.succeeded("ann");
  CHECK(t.retry_after("ann", "10.0.0.2") == 0);
  CHECK(t.retry_after("ann", "10.0.0.1") == 4);

  // Caps: 30 s per name (failures from many addresses), 60 s per address.
  auth::throttle spread;
  for (int i = 0; i < 40; ++i) spread.failed("carl", "10.1.0." + std::to_string(i));
  CHECK(spread.retry_after("carl", "10.9.9.9") == 30);
  auth::throttle sprayed;
  for (int i = 0; i < 40; ++i) sprayed.failed("name" + std::to_string(i), "10.2.0.1");
  CHECK(sprayed.retry_after("someone", "10.2.0.1") == 60);
  // An API-key failure has no name: only the address counts.
  auth::throttle keys;
  for (int i = 0; i < 5; ++i) keys.failed("", "10.3.0.1");
  CHECK(keys.retry_after("", "10.3.0.2") == 0);
  CHECK(keys.retry_after("", "10.3.0.1") > 0);
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
