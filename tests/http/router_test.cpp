#include "http/router.hpp"

#include <boost/beast/http/field.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <stdexcept>

#include "http/problem.hpp"

using namespace baton::http;
using verb = beast_http::verb;

namespace {

/// Runs `routes` on a request and returns what the handler or the router answered,
/// and the context the handler saw.
struct outcome {
  response res;
  std::optional<request_context> seen;
};

outcome run(const router& routes, verb method, std::string target) {
  request_context ctx;
  ctx.req.method(method);
  ctx.req.target(target);
  ctx.req.version(11);
  outcome out;
  std::optional<response> answered;
  routes.dispatch(std::move(ctx), [&](response res) { answered = std::move(res); });
  REQUIRE(answered.has_value());
  out.res = std::move(*answered);
  return out;
}

/// A handler that answers with the name it was given and records its context.
handler named(std::string name, std::optional<request_context>* seen = nullptr) {
  return [name, seen](request_context ctx, responder respond) {
    if (seen) *seen = ctx;
    respond(text_response(beast_http::status::ok, name));
  };
}

}  // namespace

TEST_CASE("router matches literal, parameter and catch-all segments", "[http][router]") {
  router routes;
  std::optional<request_context> seen;
  routes.add(verb::get, "/api/v1/processes", named("list"));
  routes.add(verb::get, "/api/v1/processes/{id}", named("one", &seen));
  routes.add(verb::post, "/api/v1/processes/complete-step", named("complete"));
  routes.add(verb::post, "/api/v1/processes/{id}/steps/{stepId}/execute", named("execute", &seen));
  routes.add(verb::get, "/files/{*rest}", named("files", &seen));
  routes.add(verb::get, "/", named("root"));

  CHECK(run(routes, verb::get, "/api/v1/processes").res.body() == "list");
  CHECK(run(routes, verb::get, "/api/v1/processes/").res.body() == "list");
  CHECK(run(routes, verb::get, "/").res.body() == "root");

  CHECK(run(routes, verb::get, "/api/v1/processes/p-42").res.body() == "one");
  REQUIRE(seen);
  CHECK(seen->param("id") == "p-42");
  CHECK(seen->route == "/api/v1/processes/{id}");
  CHECK(seen->param("missing").empty());

  CHECK(run(routes, verb::post, "/api/v1/processes/complete-step").res.body() == "complete");
  CHECK(run(routes, verb::post, "/api/v1/processes/p1/steps/s%20two/execute").res.body() ==
        "execute");
  CHECK(seen->param("id") == "p1");
  CHECK(seen->param("stepId") == "s two");
  CHECK(seen->path == "/api/v1/processes/p1/steps/s two/execute");

  CHECK(run(routes, verb::get, "/files/a/b%2Fc/d.txt").res.body() == "files");
  CHECK(seen->param("rest") == "a/b/c/d.txt");
  CHECK(run(routes, verb::get, "/files").res.body() == "files");
  CHECK(seen->param("rest").empty());
}

TEST_CASE("router prefers literals but backtracks to parameters", "[http][router]") {
  router routes;
  routes.add(verb::get, "/a/b/c", named("literal"));
  routes.add(verb::get, "/a/{x}/d", named("param"));
  routes.add(verb::get, "/a/{x}/{*rest}", named("rest"));
  CHECK(run(routes, verb::get, "/a/b/c").res.body() == "literal");
  CHECK(run(routes, verb::get, "/a/b/d").res.body() == "param");
  CHECK(run(routes, verb::get, "/a/q/d").res.body() == "param");
  CHECK(run(routes, verb::get, "/a/b/e/f").res.body() == "rest");
}

TEST_CASE("router keeps an encoded slash inside its segment", "[http][router]") {
  router routes;
  std::optional<request_context> seen;
  routes.add(verb::get, "/defs/{name}", named("def", &seen));
  CHECK(run(routes, verb::get, "/defs/a%2Fb").res.body() == "def");
  CHECK(seen->param("name") == "a/b");
  CHECK(run(routes, verb::get, "/defs/a/b").res.result() == beast_http::status::not_found);
}

TEST_CASE("router splits paths with and without escapes alike", "[http][router]") {
  // A path without '%' is split as it is; one with escapes goes through the decoder. An
  // escaped 'a' (%61) must not change which route matches or what it captures.
  router routes;
  std::optional<request_context> seen;
  routes.add(verb::get, "/{x}/{*rest}", named("rest", &seen));
  routes.add(verb::get, "/{x}", named("one", &seen));
  routes.add(verb::get, "/", named("root", &seen));
  for (std::string plain : {"/", "/a", "/a/", "/a//b", "/a//b/", "/a/b/c/", "/a/b//"}) {
    auto escaped = plain;
    if (auto at = escaped.find('a'); at != std::string::npos) escaped.replace(at, 1, "%61");
    CAPTURE(plain, escaped);
    auto a = run(routes, verb::get, plain).res.body();
    auto seen_plain = seen;
    auto b = run(routes, verb::get, escaped).res.body();
    CHECK(a == b);
    REQUIRE(seen_plain);
    REQUIRE(seen);
    CHECK(seen_plain->path == seen->path);
    CHECK(seen_plain->path_params == seen->path_params);
  }
}

TEST_CASE("router takes every path character as it is and refuses the others", "[http][router]") {
  // Paths of plain characters skip Boost.URL's check: they must be exactly those it
  // accepts, captured unchanged.
  router routes;
  std::optional<request_context> seen;
  routes.add(verb::get, "/p/{x}", named("p", &seen));
  std::string all = "az09AZ-._~!$&'()*+,;=:@";
  CHECK(run(routes, verb::get, "/p/" + all).res.body() == "p");
  CHECK(seen->param("x") == all);
  CHECK(run(routes, verb::get, "/p/a?x=1").res.body() == "p");
  CHECK(seen->query_value("x") == "1");
  for (std::string bad : {"/p/a b", "/p/a\"b", "/p/a<b", "/p/a{b", "/p/a|b", "/p/a\\b", "/p/a^b",
                          "/p/a`b", "/p/a[b", "/p/a#b", "/p/a\xc3\xa9", "p/a", "*", "/p/%zz"}) {
    CAPTURE(bad);
    CHECK(run(routes, verb::get, bad).res.result() == beast_http::status::bad_request);
  }
}

TEST_CASE("router decodes the query in order", "[http][router]") {
  router routes;
  std::optional<request_context> seen;
  routes.add(verb::get, "/q", named("q", &seen));
  run(routes, verb::get, "/q?status=RUNNING&name=a%20b+c&flag&x=1&x=2&e=%26%3D");
  REQUIRE(seen);
  REQUIRE(seen->query.size() == 6);
  CHECK(seen->query[0] == std::pair<std::string, std::string>{"status", "RUNNING"});
  CHECK(seen->query_value("name") == "a b c");
  CHECK(seen->query_value("flag") == "");
  CHECK(seen->query_value("x") == "2");
  CHECK(seen->query_value("e") == "&=");
  CHECK_FALSE(seen->query_value("absent").has_value());
}

TEST_CASE("router answers 404, 405 with Allow, and 400 for a bad target", "[http][router]") {
  router routes;
  routes.add(verb::get, "/things/{id}", named("get"));
  routes.add(verb::delete_, "/things/{id}", named("delete"));
  routes.add(verb::post, "/things", named("post"));

  auto missing = run(routes, verb::get, "/nothing/here").res;
  CHECK(missing.result() == beast_http::status::not_found);
  CHECK(missing[beast_http::field::content_type] == "application/problem+json");
  CHECK(missing.body().find("\"status\":404") != std::string::npos);

  auto wrong = run(routes, verb::put, "/things/7").res;
  CHECK(wrong.result() == beast_http::status::method_not_allowed);
  CHECK(wrong[beast_http::field::allow] == "DELETE, GET, HEAD");
  CHECK(wrong.body().find("PUT is not allowed on /things/7") != std::string::npos);

  CHECK(run(routes, verb::get, "/things").res[beast_http::field::allow] == "POST");

  auto bad = run(routes, verb::get, "http://example.com/things/1").res;
  CHECK(bad.result() == beast_http::status::bad_request);
  CHECK(bad.body().find("\"field\":\"target\"") != std::string::npos);
}

TEST_CASE("router runs the GET handler for HEAD", "[http][router]") {
  router routes;
  routes.add(verb::get, "/h", named("get"));
  CHECK(run(routes, verb::head, "/h").res.body() == "get");
  routes.add(verb::head, "/h", named("head"));
  CHECK(run(routes, verb::head, "/h").res.body() == "head");
}

TEST_CASE("router rejects malformed and duplicate patterns", "[http][router]") {
  router routes;
  routes.add(verb::get, "/x/{id}", named("x"));
  CHECK_THROWS_AS(routes.add(verb::get, "/x/{other}", named("dup")), std::invalid_argument);
  CHECK_NOTHROW(routes.add(verb::post, "/x/{other}", named("post")));
  CHECK_THROWS_AS(routes.add(verb::get, "no-slash", named("bad")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add(verb::get, "/a//b", named("bad")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add(verb::get, "/a/{}", named("bad")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add(verb::get, "/a/b{c}", named("bad")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add(verb::get, "/a/{*rest}/b", named("bad")), std::invalid_argument);
}

TEST_CASE("router lists every registered route with its method and pattern", "[http][router]") {
  router r;
  r.add(verb::get, "/api/v1/processes/{id}", named("get"));
  r.add(verb::post, "/api/v1/processes/{id}/cancel", named("cancel"));
  r.add(verb::get, "/api/v1/processes", named("list"));
  r.add(verb::post, "/api/v1/processes", named("start"));
  r.add(verb::get, "/files/{*rest}", named("files"));
  r.add(verb::get, "/", named("root"));
  std::vector<std::pair<verb, std::string>> listed;
  for (const auto& e : r.routes()) listed.emplace_back(e.method, e.pattern);
  std::vector<std::pair<verb, std::string>> expected{
      {verb::get, "/"},
      {verb::get, "/api/v1/processes"},
      {verb::post, "/api/v1/processes"},
      {verb::get, "/api/v1/processes/{id}"},
      {verb::post, "/api/v1/processes/{id}/cancel"},
      {verb::get, "/files/{*rest}"},
  };
  CHECK(listed == expected);
  CHECK(router{}.routes().empty());
}
