#include "outgoing/allow_list.hpp"

#include <catch2/catch.hpp>

using baton::outgoing::allow_list;
using baton::outgoing::parse_target;
using baton::outgoing::url_target;

namespace {

/// Why a call to `url` would be refused: the URL's own problem, or the allow-list's.
std::string refusal_of(const allow_list& allow, std::string_view url) {
  auto target = parse_target(url);
  if (auto* why = std::get_if<std::string>(&target)) return *why;
  return allow.refusal(std::get<url_target>(target));
}

}  // namespace

TEST_CASE("allow_list admits hosts by name and port", "[http][allow_list]") {
  allow_list allow{{"hooks.example.com", "127.0.0.1:8443", "[::1]:9000", "[fe80::1]"}};
  CHECK(allow.malformed().empty());
  CHECK(allow.allows("HOOKS.example.com", 1));
  CHECK(allow.allows("127.0.0.1", 8443));
  CHECK_FALSE(allow.allows("127.0.0.1", 8080));
  CHECK(allow.allows("::1", 9000));
  CHECK_FALSE(allow.allows("::1", 9001));
  CHECK(allow.allows("fe80::1", 1234));
  CHECK_FALSE(allow.allows("evil.example.com", 80));
  CHECK_FALSE(allow.allows("localhost", 8443));  // names are not resolved
}

TEST_CASE("allow_list sets malformed entries aside", "[http][allow_list]") {
  allow_list allow{{"", "a.com:99999", "b.com:x", "[::1", "[::1]x", "ok.com"}};
  CHECK(allow.malformed() ==
        std::vector<std::string>{"", "a.com:99999", "b.com:x", "[::1", "[::1]x"});
  CHECK(allow.allows("ok.com", 80));
  CHECK_FALSE(allow.allows("a.com", 80));
}

TEST_CASE("allow_list tells why a URL would be refused", "[http][allow_list]") {
  allow_list allow{{"hooks.example.com:443"}};
  CHECK(refusal_of(allow, "https://hooks.example.com/done?x=1").empty());
  CHECK(refusal_of(allow, "http://hooks.example.com/done") ==
        "host not allowed: hooks.example.com");
  CHECK(refusal_of(allow, "https://evil.com:8443/") == "host not allowed: evil.com:8443");
  CHECK(refusal_of(allow, "ftp://hooks.example.com/") == "unsupported scheme: ftp");
  CHECK(refusal_of(allow, "not a url") == "invalid url: not a url");
}

TEST_CASE("parse_target takes a URL apart for a request", "[http][allow_list]") {
  auto t = std::get<url_target>(parse_target("HTTPS://[::1]:9000/a/b?c=d"));
  CHECK(t.tls);
  CHECK(t.host == "::1");
  CHECK(t.port == 9000);
  CHECK(t.authority == "[::1]:9000");
  CHECK(t.target == "/a/b?c=d");
  auto plain = std::get<url_target>(parse_target("http://example.com"));
  CHECK_FALSE(plain.tls);
  CHECK(plain.port == 80);
  CHECK(plain.target == "/");
  CHECK(std::get<std::string>(parse_target("http://example.com:0/")) ==
        "invalid url: http://example.com:0/");
}
