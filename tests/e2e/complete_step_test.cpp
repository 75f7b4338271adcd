#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// An external step expecting one param of each vendor type (and an optional one), a second
/// external step without params, then a script that uses the params.
constexpr std::string_view typed_definition = R"({
  "name": "TypedReview",
  "outputs": ["summary", "count", "ratio"],
  "steps": [
    {"id": "review", "kind": "external",
     "params": {"name": "string", "count": "long", "ratio": "double",
                "note": {"type": "string", "required": false}}},
    {"id": "confirm", "kind": "external"},
    {"id": "done", "kind": "script", "set": {"summary": "${name}/${count}/${ratio}"}}
  ]})";

constexpr std::string_view good_params =
    R"({"name":{"strValue":"Ann","type":"STRING"},
        "count":{"longValue":42,"type":"LONG"},
        "ratio":{"doubleValue":1.5,"type":"DOUBLE"}})";

server_options typed_options(definitions_folder& defs) {
  defs.add("TypedReview", typed_definition);
  server_options opts;
  opts.definitions = defs.path();
  return opts;
}

/// The keys of an envelope's `data` object.
std::set<std::string> data_keys(const json::object& envelope) {
  std::set<std::string> out;
  const auto& data = envelope.at("data");
  if (data.is_object()) {
    for (const auto& kv : data.as_object()) out.insert(std::string(kv.key()));
  }
  return out;
}

/// The vendor envelope: message, ISO-8601 UTC timestamp with ms, data, version.
void check_envelope(const json::object& e) {
  CHECK(e.contains("message"));
  CHECK(e.at("message").is_string());
  CHECK(is_iso_utc_ms(text(e, "timestamp")));
  CHECK(e.contains("data"));
  CHECK(e.contains("version"));
}

/// Sends complete-step, REQUIREs 412, and @returns the envelope.
json::object expect_412(std::uint16_t port, const std::string& step, std::string_view params) {
  auto r = complete_step(port, step, params);
  INFO("complete-step " << step << " " << params << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 412);
  auto e = object_of(r);
  check_envelope(e);
  return e;
}

}  // namespace

TEST_CASE("complete-step with the seed body completes the step and starts the next", "[e2e]") {
  definitions_folder defs;
  baton_server server(typed_options(defs));
  auto port = server.port();

  auto id = start(port, R"({"definition":"TypedReview"})");
  auto p = get_process(port, id);
  REQUIRE(text(p, "status") == "RUNNING");
  REQUIRE(p.at("steps").as_array().size() == 1);
  auto review = last_step_id(p);
  CHECK(review == id + "-1");
  CHECK(text(p.at("steps").as_array()[0].as_object(), "status") == "STARTED");

  auto r = complete_step(port, review, good_params);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").find("application/json") == 0);
  auto e = object_of(r);
  check_envelope(e);
  const auto& data = e.at("data").as_object();
  CHECK(text(data, "processId") == id);
  auto confirm = text(data, "processStepId");
  CHECK(confirm == id + "-2");
  const auto& params = data.at("params").as_object();
  CHECK(text(params.at("name").as_object(), "strValue") == "Ann");
  CHECK(text(params.at("name").as_object(), "type") == "STRING");
  CHECK(params.at("count").as_object().at("longValue").to_number<std::int64_t>() == 42);
  CHECK(text(params.at("count").as_object(), "type") == "LONG");
  CHECK(params.at("ratio").as_object().at("doubleValue").to_number<double>() == Approx(1.5));
  CHECK(text(params.at("ratio").as_object(), "type") == "DOUBLE");

  // The answer came after the step was COMPLETED and the next one STARTED.
  p = get_process(port, id);
  CHECK(text(p, "status") == "RUNNING");
  const auto& steps = p.at("steps").as_array();
  REQUIRE(steps.size() == 2);
  CHECK(text(steps[0].as_object(), "status") == "COMPLETED");
  CHECK(text(steps[0].as_object(), "step") == "review");
  CHECK(text(steps[1].as_object(), "processStepId") == confirm);
  CHECK(text(steps[1].as_object(), "step") == "confirm");
  CHECK(text(steps[1].as_object(), "status") == "STARTED");
  const auto& values = p.at("values").as_object();
  CHECK(values.at("count").to_number<std::int64_t>() == 42);
  CHECK(values.at("ratio").to_number<double>() == Approx(1.5));
  CHECK(text(values, "name") == "Ann");

  // The last external step: the process ends and processStepId is null.
  auto last = complete_step(port, confirm, "");
  INFO(last.body);
  REQUIRE(last.status == 200);
  auto e2 = object_of(last);
  check_envelope(e2);
  CHECK(text(e2.at("data").as_object(), "processId") == id);
  CHECK(e2.at("data").as_object().at("processStepId").is_null());
  p = get_process(port, id);
  CHECK(text(p, "status") == "SUCCEEDED");
  CHECK(text(p.at("outputs").as_object(), "summary") == "Ann/42/1.5");
  CHECK(p.at("steps").as_array().size() == 3);
}

TEST_CASE("complete-step answers 412 for every case it cannot take", "[e2e]") {
  definitions_folder defs;
  baton_server server(typed_options(defs));
  auto port = server.port();

  auto id = start(port, R"({"definition":"TypedReview"})");
  auto review = id + "-1";

  {  // unknown or not-yet-created steps are not waiting
    auto unknown_process = id.substr(0, id.size() - 1) + (id.back() == '0' ? "1" : "0") + "-1";
    for (const auto& step : {unknown_process, id + "-2", id + "-99", std::string("nonsense")}) {
      auto e = expect_412(port, step, good_params);
      CHECK(data_keys(e) == std::set<std::string>{"processStepId"});
    }
  }

  {  // a declared param missing is named; an optional one is not
    auto e = expect_412(port, review,
                        R"({"name":{"strValue":"Ann","type":"STRING"},
                            "count":{"longValue":1,"type":"LONG"}})");
    CHECK(data_keys(e) == std::set<std::string>{"ratio"});
    CHECK(text(e.at("data").as_object(), "ratio").find("missing") != std::string::npos);
    // No params at all: every required one is named.
    auto none = expect_412(port, review, "{}");
    CHECK(data_keys(none) == std::set<std::string>{"name", "count", "ratio"});
    auto absent = expect_412(port, review, "");
    CHECK(data_keys(absent) == std::set<std::string>{"name", "count", "ratio"});
  }

  {  // a param of the wrong type is named with its reason
    // STRING sent for a LONG, even one that reads as a number.
    auto e = expect_412(port, review,
                        R"({"name":{"strValue":"Ann","type":"STRING"},
                            "count":{"strValue":"42","type":"STRING"},
                            "ratio":{"doubleValue":1.5,"type":"DOUBLE"}})");
    CHECK(data_keys(e) == std::set<std::string>{"count"});
    CHECK(!text(e.at("data").as_object(), "count").empty());
    // A DOUBLE for a LONG.
    auto d = expect_412(port, review,
                        R"({"name":{"strValue":"Ann","type":"STRING"},
                            "count":{"doubleValue":4.5,"type":"DOUBLE"},
                            "ratio":{"doubleValue":1.5,"type":"DOUBLE"}})");
    CHECK(data_keys(d) == std::set<std::string>{"count"});
  }

  {  // a number in a string that does not parse exactly is refused
    for (auto bad : {R"("42x")", R"("")", R"("4 2")", R"("4.5")"}) {
      auto params =
          std::string(R"({"name":{"strValue":"Ann","type":"STRING"},"count":{"longValue":)") + bad +
          R"(,"type":"LONG"},"ratio":{"doubleValue":1.5,"type":"DOUBLE"}})";
      auto e = expect_412(port, review, params);
      INFO(bad);
      CHECK(data_keys(e) == std::set<std::string>{"count"});
    }
  }

  {  // several failing params are each named
    auto e = expect_412(port, review,
                        R"({"count":{"strValue":"42","type":"STRING"},
                            "ratio":{"strValue":"x","type":"STRING"}})");
    CHECK(data_keys(e) == std::set<std::string>{"name", "count", "ratio"});
  }

  // Whatever was refused left the step waiting, untouched.
  auto p = get_process(port, id);
  CHECK(text(p, "status") == "RUNNING");
  REQUIRE(p.at("steps").as_array().size() == 1);
  CHECK(text(p.at("steps").as_array()[0].as_object(), "status") == "STARTED");
  CHECK(p.at("values").as_object().empty());
  for (const auto& h : history(port, id)) CHECK(text(h.as_object(), "type") != "step_completed");

  {  // ...and it still completes; then it is no longer waiting
    // "longValue": "42" arrives as a string and is accepted, as the vendor documents.
    auto ok = complete_step(port, review,
                            R"({"name":{"strValue":"Ann","type":"STRING"},
                                "count":{"longValue":"42","type":"LONG"},
                                "ratio":{"doubleValue":"2.25","type":"DOUBLE"}})");
    INFO(ok.body);
    REQUIRE(ok.status == 200);
    auto done = get_process(port, id);
    CHECK(done.at("values").as_object().at("count").to_number<std::int64_t>() == 42);
    CHECK(done.at("values").as_object().at("ratio").to_number<double>() == Approx(2.25));

    auto e = expect_412(port, review, good_params);
    CHECK(data_keys(e) == std::set<std::string>{"processStepId"});
    CHECK(text(e.at("data").as_object(), "processStepId").find("COMPLETED") != std::string::npos);
    // The refused repeat changed nothing.
    auto after = get_process(port, id);
    CHECK(after.at("steps").as_array().size() == 2);
    CHECK(after.at("values").as_object().at("count").to_number<std::int64_t>() == 42);
  }
}

TEST_CASE("complete-step names a missing param even beside a malformed number", "[e2e]") {
  // Every failing param is listed, however it fails: here one is malformed ("42x", refused
  // while reading the body) and one is missing (refused against the declaration).
  definitions_folder defs;
  baton_server server(typed_options(defs));
  auto port = server.port();
  auto id = start(port, R"({"definition":"TypedReview"})");
  auto e = expect_412(port, id + "-1",
                      R"({"name":{"strValue":"Ann","type":"STRING"},
                          "count":{"longValue":"42x","type":"LONG"}})");
  CHECK(data_keys(e) == std::set<std::string>{"count", "ratio"});
}

TEST_CASE("complete-step needs an API key when the server has some", "[e2e]") {
  definitions_folder defs;
  auto opts = typed_options(defs);
  opts.environment["BATON_AUTH__API_KEYS"] = "k1";
  baton_server server(opts);
  auto port = server.port();

  // The native API is guarded too.
  CHECK(http_call(port, "POST", "/api/v1/processes", R"({"definition":"TypedReview"})").status ==
        401);
  auto id = start(port, R"({"definition":"TypedReview"})", {{"x-api-key", "k1"}});
  auto review = id + "-1";

  for (const auto& headers : {header_list{}, header_list{{"x-api-key", "k2"}},
                              header_list{{"Authorization", "Bearer k2"}},
                              header_list{{"Authorization", "Basic azE6azE="}}}) {
    auto r = complete_step(port, review, good_params, headers);
    INFO(r.body);
    REQUIRE(r.status == 401);
    auto e = object_of(r);
    CHECK(text(e, "message") == "Unauthorized request");
    CHECK(is_iso_utc_ms(text(e, "timestamp")));
    CHECK(e.contains("data"));
    CHECK(e.contains("version"));
  }
  // Refused callers changed nothing.
  auto p = get_process(port, id, {{"x-api-key", "k1"}});
  CHECK(text(p.at("steps").as_array()[0].as_object(), "status") == "STARTED");

  auto with_key = complete_step(port, review, good_params, {{"x-api-key", "k1"}});
  INFO(with_key.body);
  CHECK(with_key.status == 200);
  auto with_bearer = complete_step(port, id + "-2", "", {{"Authorization", "Bearer k1"}});
  INFO(with_bearer.body);
  CHECK(with_bearer.status == 200);
  p = get_process(port, id, {{"Authorization", "Bearer k1"}});
  CHECK(text(p, "status") == "SUCCEEDED");
}
