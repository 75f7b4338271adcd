#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

// The scheduler connector's own example, byte for byte.
constexpr std::string_view vendor_body =
    R"({"values": {"username": "User", "surname": "Surname"}, "quartzDef": "0 6 6 ? * FRI", "startDate": "2020-11-16 16:56:00", "endDate": "2020-11-18 16:55:00", "runOnce": "N", "runImmediately": "N", "retryCount": "1", "name": "OneStepNotepadRunner", "worker": "7"})";

constexpr std::string_view start_path = "/scheduler/connector-api/process/start";
constexpr std::string_view status_path = "/scheduler/connector-api/process/status/";

/// Dates in UTC, the zone the servers below are configured with.
server_options utc_server() {
  server_options o;
  o.environment["BATON_ENGINE__TIME_ZONE"] = "UTC";
  return o;
}

/// Now plus `offset`, as the connector writes dates: "yyyy-MM-dd HH:mm:ss" (UTC here).
std::string connector_date(std::chrono::seconds offset) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
  return out;
}

test_response post_start(std::uint16_t port, std::string_view body, header_list headers = {},
                         std::string_view path = start_path) {
  return http_call(port, "POST", std::string(path), std::string(body), std::move(headers));
}

/// Starts through the connector; REQUIREs 200 and the vendor's answer. @returns robustaSpid.
std::string saved(std::uint16_t port, std::string_view body, header_list headers = {},
                  std::string_view path = start_path) {
  auto r = post_start(port, body, std::move(headers), path);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto o = object_of(r);
  CHECK(text(o, "message") == "Process saved");
  auto id = text(o, "robustaSpid");
  REQUIRE_FALSE(id.empty());
  CHECK(o.size() == 2);
  return id;
}

json::object status_of(std::uint16_t port, const std::string& id, header_list headers = {},
                       std::string_view path = status_path) {
  auto r = http_call(port, "GET", std::string(path) + id, {}, std::move(headers));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

/// Polls the connector status every 20 ms until it is `status` or 10 s pass.
json::object wait_for_connector_status(std::uint16_t port, const std::string& id,
                                       std::string_view status, header_list headers = {}) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto o = status_of(port, id, headers);
  while (text(o, "status") != status && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    o = status_of(port, id, headers);
  }
  return o;
}

/// A 400 whose message names `field`. @returns the message.
std::string rejected(std::uint16_t port, std::string_view body, std::string_view field) {
  auto r = post_start(port, body);
  INFO(body << " -> " << r.status << " " << r.body);
  CHECK(r.status == 400);
  auto message = text(object_of(r), "message");
  CHECK(message.find(field) != std::string::npos);
  return message;
}

/// `{"Authorization": "Basic base64(user:password)"}`.
header_list basic(const std::string& user_password) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const auto& in = user_password;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? alphabet[n & 63] : '=';
  }
  return {{"Authorization", "Basic " + out}};
}

}  // namespace

TEST_CASE("the connector's example body saves a schedule that waits for its first run",
          "[e2e][connector]") {
  baton_server server;  // server-local dates, no Basic auth configured
  auto port = server.port();
  auto id = saved(port, vendor_body);

  auto st = status_of(port, id);
  CHECK(text(st, "status") == "WAITING");
  CHECK_FALSE(text(st, "message").empty());
  for (const auto& [k, v] : st) CHECK(std::string_view(k).substr(0, 6) != "__out_");

  // The same schedule through the native API: the target, the values and the window, and,
  // with no Friday between Monday and Wednesday, nothing to fire.
  auto native = http_call(port, "GET", "/api/v1/schedules/" + id);
  INFO(native.body);
  REQUIRE(native.status == 200);
  auto s = object_of(native);
  CHECK(text(s, "definition") == "OneStepNotepadRunner");
  CHECK(text(s, "cron") == "0 6 6 ? * FRI");
  CHECK(s.at("retryCount").to_number<int>() == 1);
  CHECK(text(s, "worker") == "7");
  CHECK(s.at("runs").as_array().empty());
  CHECK(s.at("runOnce").as_bool() == false);
  CHECK(s.at("endMs").to_number<std::int64_t>() - s.at("startMs").to_number<std::int64_t>() ==
        (2 * 24 * 3600 - 60) * 1000LL);

  SECTION("the connector-API spelling reads the same record") {
    auto r = http_call(port, "GET", "/scheduler/connector-API/process/status/" + id);
    REQUIRE(r.status == 200);
    CHECK(text(object_of(r), "status") == "WAITING");
  }
}

TEST_CASE("a connector start without quartzDef runs the process now", "[e2e][connector]") {
  baton_server server(utc_server());
  auto port = server.port();

  auto id = saved(port, R"({"values": {"username": "User", "surname": "Surname"},
                            "runOnce": "N", "runImmediately": "N",
                            "name": "OneStepNotepadRunner", "worker": "7"})");
  auto st = wait_for_connector_status(port, id, "SUCCEEDED");
  CHECK(text(st, "status") == "SUCCEEDED");
  CHECK(text(st, "message") == "Your transaction has ended.");
  CHECK(text(st, "__out_x") == "User Surname");
  // It is a process, visible in the native API too.
  CHECK(text(get_process(port, id), "status") == "SUCCEEDED");

  SECTION("numbers may be numbers, and the connector-API spelling works") {
    auto other =
        saved(port, R"({"values": {"username": "Ada", "surname": "Lovelace"}, "retryCount": 2,
                        "name": "OneStepNotepadRunner"})",
              {}, "/scheduler/connector-API/process/start");
    auto o = wait_for_connector_status(port, other, "SUCCEEDED");
    CHECK(text(o, "__out_x") == "Ada Lovelace");
  }
}

TEST_CASE("runImmediately fires a scheduled process at once", "[e2e][connector]") {
  baton_server server(utc_server());
  auto port = server.port();
  const auto window = R"(, "startDate": ")" + connector_date(std::chrono::seconds(-60)) +
                      R"(", "endDate": ")" + connector_date(std::chrono::hours(1)) + "\"";
  // A cron time far off: only runImmediately can explain a run now.
  const std::string cron = R"("quartzDef": "0 0 0 1 1 ? 2099")";

  for (std::string flag : {"runImmediately", "run immediately"}) {
    DYNAMIC_SECTION("spelled \"" << flag << "\"") {
      auto body = R"({"values": {"username": "Now", "surname": "Please"}, )" + cron + window +
                  R"(, "runOnce": "N", ")" + flag +
                  R"(": "Y", "retryCount": "0", "name": "OneStepNotepadRunner"})";
      auto id = saved(port, body);
      auto st = wait_for_connector_status(port, id, "SUCCEEDED");
      CHECK(text(st, "status") == "SUCCEEDED");
      CHECK(text(st, "message") == "Your transaction has ended.");
      CHECK(text(st, "__out_x") == "Now Please");

      auto s = object_of(http_call(port, "GET", "/api/v1/schedules/" + id));
      auto runs = s.at("runs").as_array();
      REQUIRE(runs.size() == 1);
      CHECK_FALSE(text(runs[0].as_object(), "processId").empty());
    }
  }

  SECTION("the status follows the latest run of a schedule that fires every second") {
    auto body =
        R"({"values": {"username": "Tick", "surname": "Tock"}, "quartzDef": "* * * ? * *")" +
        window + R"(, "runImmediately": "Y", "retryCount": "0",
                   "name": "OneStepNotepadRunner"})";
    auto id = saved(port, body, {}, "/scheduler/connector-API/process/start");
    // Wait for a few runs; the status is always the latest one's.
    std::size_t runs = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    json::object s;
    while (runs < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      s = object_of(http_call(port, "GET", "/api/v1/schedules/" + id));
      runs = s.at("runs").as_array().size();
    }
    REQUIRE(runs >= 3);
    // Paused, so that the latest run stays the latest while we look.
    REQUIRE(http_call(port, "POST", "/api/v1/schedules/" + id + "/pause").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    s = object_of(http_call(port, "GET", "/api/v1/schedules/" + id));
    auto latest = text(s.at("runs").as_array().back().as_object(), "processId");
    REQUIRE_FALSE(latest.empty());
    wait_for_status(port, latest, "SUCCEEDED");
    auto st = status_of(port, id);
    CHECK(text(st, "status") == "SUCCEEDED");
    CHECK(text(st, "__out_x") == "Tick Tock");
  }
}

TEST_CASE("bad connector requests get 400 naming the field, unknown ones 404", "[e2e][connector]") {
  baton_server server(utc_server());
  auto port = server.port();
  const std::string tail =
      R"("name": "OneStepNotepadRunner", "values": {"username": "U", "surname": "S"})";

  SECTION("scheduled without quartzDef, startDate, endDate or retryCount") {
    rejected(port,
             R"({"startDate": "2020-11-16 16:56:00", "endDate": "2020-11-18 16:55:00",
                 "retryCount": "1", )" +
                 tail + "}",
             "quartzDef");
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "endDate": "2020-11-18 16:55:00",
                 "retryCount": "1", )" +
                 tail + "}",
             "startDate");
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "startDate": "2020-11-16 16:56:00",
                 "retryCount": "1", )" +
                 tail + "}",
             "endDate");
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "startDate": "2020-11-16 16:56:00",
                 "endDate": "2020-11-18 16:55:00", )" +
                 tail + "}",
             "retryCount");
  }
  SECTION("flags other than Y and N") {
    rejected(port, R"({"runOnce": "X", )" + tail + "}", "runOnce");
    rejected(port, R"({"runImmediately": "X", )" + tail + "}", "runImmediately");
    rejected(port, R"({"run immediately": "yes", )" + tail + "}", "run immediately");
  }
  SECTION("dates not in yyyy-MM-dd HH:mm:ss") {
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "startDate": "16.11.2020 16:56",
                 "endDate": "2020-11-18 16:55:00", "retryCount": "1", )" +
                 tail + "}",
             "startDate");
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "startDate": "2020-11-16 16:56:00",
                 "endDate": "2020-11-18T16:55:00Z", "retryCount": "1", )" +
                 tail + "}",
             "endDate");
  }
  SECTION("a cron typo names quartzDef and the position") {
    auto message = rejected(port,
                            R"({"quartzDef": "0 6 6 ? * FR", "startDate": "2020-11-16 16:56:00",
                                "endDate": "2020-11-18 16:55:00", "retryCount": "1", )" +
                                tail + "}",
                            "quartzDef");
    CHECK(message == "quartzDef: day-of-week: unknown name \"FR\" at position 10");
  }
  SECTION("an end before the start") {
    rejected(port,
             R"({"quartzDef": "0 6 6 ? * FRI", "startDate": "2020-11-18 16:56:00",
                 "endDate": "2020-11-16 16:55:00", "retryCount": "1", )" +
                 tail + "}",
             "endDate");
  }
  SECTION("a bad retryCount") {
    rejected(port, R"({"retryCount": "many", )" + tail + "}", "retryCount");
    rejected(port, R"({"retryCount": -1, )" + tail + "}", "retryCount");
  }
  SECTION("no name, or not JSON") {
    rejected(port, R"({"values": {"username": "U", "surname": "S"}})", "name");
    auto r = post_start(port, "{not json");
    CHECK(r.status == 400);
  }
  SECTION("an unknown process name, now or scheduled") {
    auto now = post_start(port, R"({"name": "NoSuchProcess", "values": {}})");
    INFO(now.body);
    CHECK(now.status == 404);
    CHECK(text(object_of(now), "message").find("NoSuchProcess") != std::string::npos);
    auto later = post_start(
        port, std::string(vendor_body)
                  .replace(std::string(vendor_body).find("OneStepNotepadRunner"),
                           std::string_view("OneStepNotepadRunner").size(), "NoSuchProcess"));
    INFO(later.body);
    CHECK(later.status == 404);
  }
  SECTION("an unknown robustaSpid") {
    auto r = http_call(port, "GET", std::string(status_path) + "nosuchid");
    CHECK(r.status == 404);
    CHECK(text(object_of(r), "message").find("nosuchid") != std::string::npos);
  }
  // None of these saved anything.
  auto list = http_call(port, "GET", "/api/v1/schedules");
  REQUIRE(list.status == 200);
  CHECK(parse(list.body).as_array().empty());
}

TEST_CASE("the connector API asks for HTTP Basic credentials when users are configured",
          "[e2e][connector]") {
  auto options = utc_server();
  options.environment["BATON_AUTH__BASIC_USERS"] = "user:secret";
  baton_server server(options);
  auto port = server.port();
  const auto right = basic("user:secret");

  // The server throttles a source address after three failed attempts (missing credentials
  // are no attempt), so this makes exactly three before the right one.
  for (std::string path :
       {std::string(start_path), std::string("/scheduler/connector-API/process/start")}) {
    INFO(path);
    auto none = post_start(port, vendor_body, {}, path);
    CHECK(none.status == 401);
    CHECK(none.header("WWW-Authenticate").rfind("Basic", 0) == 0);
    CHECK_FALSE(text(object_of(none), "message").empty());
  }
  auto wrong = post_start(port, vendor_body, basic("user:wrong"));
  CHECK(wrong.status == 401);
  CHECK(wrong.header("WWW-Authenticate").rfind("Basic", 0) == 0);
  auto other_user = post_start(port, vendor_body, basic("admin:secret"),
                               "/scheduler/connector-API/process/start");
  CHECK(other_user.status == 401);
  auto garbage = post_start(port, vendor_body, {{"Authorization", "Basic !!!"}});
  CHECK(garbage.status == 401);
  // Nothing was saved by the refused requests.
  auto list = http_call(port, "GET", "/api/v1/schedules", {}, right);
  REQUIRE(list.status == 200);
  CHECK(parse(list.body).as_array().empty());

  auto id = saved(port, vendor_body, right);
  auto unauthorized = http_call(port, "GET", std::string(status_path) + id);
  CHECK(unauthorized.status == 401);
  CHECK(unauthorized.header("WWW-Authenticate").rfind("Basic", 0) == 0);
  CHECK(text(status_of(port, id, right), "status") == "WAITING");
  auto other = saved(
      port, R"({"name": "OneStepNotepadRunner", "values": {"username": "A", "surname": "B"}})",
      right, "/scheduler/connector-API/process/start");
  CHECK(text(wait_for_connector_status(port, other, "SUCCEEDED", right), "__out_x") == "A B");
}
