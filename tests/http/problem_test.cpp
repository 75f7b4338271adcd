#include "http/problem.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

using namespace baton::http;

TEST_CASE("problem builds an RFC 9457 body", "[http][problem]") {
  auto res = problem(beast_http::status::unprocessable_entity, "Invalid value",
                     "\"age\" must be a number\n", "/values/age");
  CHECK(res.result() == beast_http::status::unprocessable_entity);
  CHECK(res[beast_http::field::content_type] == "application/problem+json");
  CHECK(res[beast_http::field::content_length] == std::to_string(res.body().size()));
  auto body = boost::json::parse(res.body()).as_object();
  CHECK(body.at("type") == "about:blank");
  CHECK(body.at("title") == "Invalid value");
  CHECK(body.at("status") == 422);
  CHECK(body.at("detail") == "\"age\" must be a number\n");
  CHECK(body.at("field") == "/values/age");
  CHECK(body.size() == 5);

  auto no_field =
      boost::json::parse(problem(beast_http::status::not_found, "Not Found", "x").body());
  CHECK_FALSE(no_field.as_object().contains("field"));
}

TEST_CASE("json_escape always yields valid JSON", "[http][problem]") {
  CHECK(json_escape("plain") == "plain");
  CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(json_escape(std::string_view{"\x01\t\n\r\x1f", 5}) == "\\u0001\\t\\n\\r\\u001f");
  CHECK(json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5");
  // Stray continuation byte, truncated sequence, overlong form, UTF-16 surrogate.
  CHECK(json_escape("a\x80z") == "a\\ufffdz");
  CHECK(json_escape("a\xe2\x82") == "a\\ufffd\\ufffd");
  CHECK(json_escape("\xc0\xaf") == "\\ufffd\\ufffd");
  CHECK(json_escape("\xed\xa0\x80") == "\\ufffd\\ufffd\\ufffd");

  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  auto parsed = boost::json::parse("\"" + json_escape(every_byte) + "\"");
  CHECK(parsed.is_string());
}

TEST_CASE("json_response and text_response set type and length", "[http][problem]") {
  auto j = json_response(beast_http::status::created, R"({"id":"p1"})");
  CHECK(j.result() == beast_http::status::created);
  CHECK(j[beast_http::field::content_type] == "application/json");
  CHECK(j[beast_http::field::content_length] == "11");
  auto t = text_response(beast_http::status::ok, "ok");
  CHECK(t[beast_http::field::content_type] == "text/plain; charset=utf-8");
  auto m = text_response(beast_http::status::ok, "x", "text/csv");
  CHECK(m[beast_http::field::content_type] == "text/csv");
}
