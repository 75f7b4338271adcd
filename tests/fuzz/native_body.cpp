// Fuzzes the JSON bodies of the native API as its handlers read them (http/json_body: one
// simdjson parser per thread, duplicate keys last-wins, values as model values): a start
// body's `values` and a complete-step body's `processStepId`. Properties: a value read from a
// body writes back (model::to_json) to JSON that reads as the same value; `member` agrees with
// the last duplicate; a step id that names a process names a prefix of itself.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/json_body.hpp"
#include "model/process.hpp"
#include "model/value.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton;
using baton::fuzz::require;

namespace {

/// A value read from JSON, written as JSON and read again, is the value it was.
void check_value_round_trip(const model::value& v, std::string_view input) {
  auto text = model::to_json(v);
  auto again = http::parse_json_body(text);
  require(again.ok(), "a value writes valid JSON", input);
  auto back = http::to_value(again.root);
  require(back == v, "a value reads back as itself from the JSON it writes", input);
}

void check_step_id(std::string_view step_id, std::string_view input) {
  auto pid = model::process_id_of_step(step_id);
  if (!pid) return;
  require(!pid->empty() && step_id.substr(0, pid->size()) == *pid && step_id.size() > pid->size() &&
              step_id[pid->size()] == '-',
          "a processStepId names its process as a prefix", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = http::parse_json_body(text);
  if (!body.ok()) return 0;
  // Read what the handlers read before anything parses again: the document is the parser's.
  std::vector<std::pair<std::string, model::value>> values;
  std::string step_id;
  auto obj = http::as_object(body.root);
  if (auto v = http::member(obj, "values")) {
    for (auto [k, el] : http::as_object(*v))
      values.emplace_back(std::string(k), http::to_value(el));
  }
  if (auto s = http::member(obj, "processStepId"); s && s->is_string()) {
    step_id = std::string(s->get_string().value());
  }
  std::string last_definition;
  bool has_definition = false;
  for (auto [k, el] : obj) {
    if (k == "definition") has_definition = true, last_definition = simdjson::minify(el);
  }
  auto found = http::member(obj, "definition");
  require(found.has_value() == has_definition &&
              (!found || simdjson::minify(*found) == last_definition),
          "member() finds the last of duplicate keys", text);

  for (const auto& [name, v] : values) check_value_round_trip(v, text);
  check_step_id(step_id, text);
  return 0;
}
