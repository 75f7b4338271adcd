#include "tests/e2e/auth_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

namespace baton::test::e2e {

server_options auth_options(std::map<std::string, std::string> extra) {
  server_options opts;
  opts.environment = std::move(extra);
  opts.environment["BATON_AUTH__REQUIRED"] = "true";
  return opts;
}

/// Standard base64 with padding, written here rather than borrowed from the server so that a
/// fault in the server's coding cannot cancel out.
std::string b64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

header_list bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}
header_list basic(const std::string& name, const std::string& password) {
  return {{"Authorization", "Basic " + b64(name + ":" + password)}};
}

/// POST /api/v1/clients/{name}/{action} as the admin; REQUIREs 200 and @returns the answer.
json::object client_action(std::uint16_t port, const std::string& admin, const std::string& name,
                           const std::string& action) {
  auto r = http_call(port, "POST", "/api/v1/clients/" + name + "/" + action, {}, key_header(admin));
  INFO(action << " " << name << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

/// A status on a cheap read every role may do.
int read_status(std::uint16_t port, header_list headers) {
  return http_call(port, "GET", "/api/v1/definitions", {}, std::move(headers)).status;
}

double metric(std::uint16_t port, std::string_view name, const std::string& key) {
  auto r = http_call(port, "GET", "/metrics", {}, key_header(key));
  REQUIRE(r.status == 200);
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(std::string(name) + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  FAIL("no metric " << name << " in\n" << r.body);
  return 0;
}

test_response form_post(std::uint16_t port, const std::string& target, const std::string& body,
                        header_list headers) {
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return http_call(port, "POST", target, body, std::move(headers));
}

test_response password_grant(std::uint16_t port, const std::string& name,
                             const std::string& password, header_list headers) {
  return form_post(port, "/services/oauth2/token",
                   "grant_type=password&username=" + name + "&password=" + password,
                   std::move(headers));
}

/// A problem+json answer with `status`; @returns its object.
json::object expect_problem(const test_response& r, int status) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == status);
  CHECK(r.header("Content-Type").rfind("application/problem+json", 0) == 0);
  auto o = object_of(r);
  CHECK(o.at("status").to_number<int>() == status);
  return o;
}

/// Set-Cookie fields by cookie name. The test client joins repeated fields with ", "; our
/// cookie values are base64url or hex and our attributes have no dates, so that split is safe.
std::map<std::string, set_cookie> cookies_of(const test_response& r) {
  std::map<std::string, set_cookie> out;
  std::string all = r.header("Set-Cookie");
  std::size_t at = 0;
  while (at < all.size()) {
    auto end = all.find(", ", at);
    auto one = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? all.size() : end + 2;
    std::istringstream parts(one);
    std::string part;
    std::getline(parts, part, ';');
    auto eq = part.find('=');
    auto& c = out[part.substr(0, eq)];
    c.value = part.substr(eq + 1);
    while (std::getline(parts, part, ';')) {
      while (!part.empty() && part.front() == ' ') part.erase(0, 1);
      std::transform(part.begin(), part.end(), part.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      c.attributes.insert(part.substr(0, part.find('=')));
    }
  }
  return out;
}

test_response login_call(std::uint16_t port, const std::string& name, const std::string& password,
                         const std::string& extra) {
  return http_call(
      port, "POST", "/ServiceModel/AuthService.svc/Login",
      R"({"UserName":")" + name + R"(","UserPassword":")" + password + "\"" + extra + "}");
}

/// Logs in; REQUIREs Code 0 and @returns the session's cookies.
session login(std::uint16_t port, const std::string& name, const std::string& password) {
  auto r = login_call(port, name, password);
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 200);
  REQUIRE(object_of(r).at("Code").to_number<int>() == 0);
  auto cookies = cookies_of(r);
  session s{cookies["BPMSESSIONID"].value, cookies["BPMCSRF"].value};
  REQUIRE(!s.id.empty());
  REQUIRE(!s.csrf.empty());
  return s;
}

}  // namespace baton::test::e2e
