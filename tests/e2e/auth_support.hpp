#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "tests/e2e/e2e_support.hpp"

/// Helpers shared by the authentication end-to-end tests: credentials in each scheme,
/// session logins, the token endpoint.
namespace baton::test::e2e {

/// Server options with `auth.required = true` (and `extra` BATON_* variables).
server_options auth_options(std::map<std::string, std::string> extra = {});

/// Standard base64 with padding, written here rather than borrowed from the server so that a
/// fault in the server's coding cannot cancel out.
std::string b64(std::string_view in);

header_list bearer(const std::string& credential);
header_list basic(const std::string& name, const std::string& password);

/// POST /api/v1/clients/{name}/{action} as the admin; REQUIREs 200 and @returns the answer.
json::object client_action(std::uint16_t port, const std::string& admin, const std::string& name,
                           const std::string& action);

/// A status on a cheap read every role may do.
int read_status(std::uint16_t port, header_list headers);

/// The value of counter `name` on /metrics; REQUIREs that it is there.
/// The value of counter `name` on /metrics, read with API key `key` (an API key costs no
/// password hash, so reading does not move the counters these tests watch); REQUIREs it.
double metric(std::uint16_t port, std::string_view name, const std::string& key);

test_response form_post(std::uint16_t port, const std::string& target, const std::string& body,
                        header_list headers = {});
test_response password_grant(std::uint16_t port, const std::string& name,
                             const std::string& password, header_list headers = {});

/// A problem+json answer with `status`; @returns its object.
json::object expect_problem(const test_response& r, int status);

/// One Set-Cookie of an answer: value and attributes (lower-cased names).
struct set_cookie {
  std::string value;
  std::set<std::string> attributes;
};

/// Set-Cookie fields by cookie name.
std::map<std::string, set_cookie> cookies_of(const test_response& r);

struct session {
  std::string id;
  std::string csrf;

  header_list headers() const {
    return {{"Cookie", "BPMSESSIONID=" + id + "; BPMCSRF=" + csrf}, {"BPMCSRF", csrf}};
  }
};

test_response login_call(std::uint16_t port, const std::string& name, const std::string& password,
                         const std::string& extra = "");
/// Logs in; REQUIREs Code 0 and @returns the session's cookies.
session login(std::uint16_t port, const std::string& name, const std::string& password);

}  // namespace baton::test::e2e
