// The API's JSON of a process and its history is what the JSON release stored behind its
// format byte, with an RFC 3339 time beside each epoch-ms member: rendering a state read
// from such a record gives those bytes back once the times are taken out.

#include "http/process_json.hpp"

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "storage/format.hpp"
#include "storage/record_codec.hpp"

using namespace baton;

namespace {

const std::string full =
    R"({"id":"0000000003e8000100000001","definition":"Def","version":2,"scope":"s",)"
    R"("status":"RUNNING","values":{"b":true,"i":-7,"j":{"a":[1,{"b":null}]},"n":2.5,)"
    R"("s":"x\"y\n","z":null},"outputs":{"o":"out"},"steps":[{"processStepId":)"
    R"("0000000003e8000100000001-1","step":"ask","kind":"external","status":"STARTED",)"
    R"("attempt":2,"createdMs":1000,"modifiedMs":1500,"dueMs":9000,"retryPending":true,)"
    R"("error":"late","params":{"p":"v"}},{"processStepId":"0000000003e8000100000001-2",)"
    R"("step":"go","kind":"script","status":"CREATED","attempt":1,"createdMs":0,)"
    R"("modifiedMs":0}],"retryCount":3,"error":"e","createdMs":1000,"updatedMs":1500,)"
    R"("scenarioId":"happy","sandbox":true,"worker":"w","scheduleId":"sch",)"
    R"("callbackUrl":"http://127.0.0.1:9/cb","historySeq":4})";
const std::string bare =
    R"({"id":"0000000003e8000100000002","definition":"Def","version":1,"status":"WAITING",)"
    R"("values":{},"outputs":{},"steps":[],"createdMs":2000,"updatedMs":2100,"historySeq":0})";

/// `json` without the RFC 3339 members the JSON release did not have.
std::string without_times(const std::string& json) {
  static const std::regex times(
      R"re(,"(createdAt|updatedAt|modifiedAt|dueAt|expiresAt|at)":"[^"]*")re");
  return std::regex_replace(json, times, "");
}

}  // namespace

TEST_CASE("process_json renders a process byte for byte as the JSON release stored it", "[http]") {
  for (const auto& json : {full, bare}) {
    INFO(json);
    auto state = storage::decode_process(storage::format_v1 + json);
    REQUIRE(state);
    auto rendered = http::process_json(*state);
    CHECK(without_times(rendered) == json);
    // The binary snapshot renders the same.
    auto binary = storage::decode_process(storage::encode_process(*state));
    REQUIRE(binary);
    CHECK(http::process_json(*binary) == rendered);
  }
}

TEST_CASE("history_json renders entries as the JSON release stored them", "[http]") {
  std::vector<model::history_entry> entries = {
      {1, 10, "process_created", "", "Def v1"},
      {2, 20, "step_failed", "abc-2", "bad \"thing\"\n"},
  };
  CHECK(without_times(http::history_json(entries)) ==
        R"([{"seq":1,"atMs":10,"type":"process_created","detail":"Def v1"},)"
        R"({"seq":2,"atMs":20,"type":"step_failed","processStepId":"abc-2",)"
        R"("detail":"bad \"thing\"\n"}])");
  CHECK(http::history_json({}) == "[]");
}

TEST_CASE("every epoch-ms member has its RFC 3339 time beside it", "[http]") {
  auto state = storage::decode_process(storage::format_v1 + full);
  REQUIRE(state);
  auto rendered = http::process_json(*state);
  CHECK(rendered.find(R"("createdMs":1000,"createdAt":"1970-01-01T00:00:01.000Z")") !=
        std::string::npos);
  CHECK(rendered.find(R"("updatedMs":1500,"updatedAt":"1970-01-01T00:00:01.500Z")") !=
        std::string::npos);
  CHECK(rendered.find(R"("modifiedMs":1500,"modifiedAt":"1970-01-01T00:00:01.500Z")") !=
        std::string::npos);
  CHECK(rendered.find(R"("dueMs":9000,"dueAt":"1970-01-01T00:00:09.000Z")") != std::string::npos);
  CHECK(http::history_json({{1, 10, "x", "", ""}}) ==
        R"([{"seq":1,"atMs":10,"at":"1970-01-01T00:00:00.010Z","type":"x"}])");
}
