// Fuzzes definition documents (storage/json_codec parse_definition + model::validate): a
// document is either deployable or refused with problems located by JSON pointer; a deployable
// one survives its stored form unchanged, and a run of it (model::apply from admission) stops
// within the step budget, ends or waits for the world, and snapshots losslessly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/process.hpp"
#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton;
using baton::fuzz::require;

namespace {

// model/process.cpp bounds the steps one event may run; each adds at most a start and an end
// to the history, and the run itself a few more entries.
constexpr std::size_t step_budget = 10'000;

void check_run(const model::definition& def, std::string_view text) {
  model::process_state p;
  p.id = "0190aaaabbbbccccddddeeeeffff0000";
  p.definition = def.name;
  p.version = def.version;
  p.vals = model::check_inputs(def, {}).accepted;
  auto t = model::apply(p, def, model::ev_admitted{}, {.now_ms = 1'700'000'000'000});
  require(t.rejected.empty(), "a waiting process is admitted", text);
  require(t.state.steps.size() <= step_budget, "one event runs at most the step budget", text);
  require(t.history.size() <= 2 * step_budget + 3, "one event's history is bounded", text);
  require(model::is_terminal(t.state.status) || t.state.active() != nullptr,
          "after admission a process has ended or waits at a step", text);
  auto decoded = storage::decode_process(storage::encode_process(t.state));
  require(decoded && *decoded == t.state, "a snapshot decodes to the state it encoded", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = storage::parse_definition(text);
  if (auto* problems = std::get_if<std::vector<model::definition_problem>>(&parsed)) {
    require(!problems->empty(), "a refused definition says why", text);
    for (const auto& p : *problems) {
      require(p.pointer.empty() || p.pointer[0] == '/', "a problem is located by JSON pointer",
              text);
      require(!p.message.empty(), "a problem says what is wrong", text);
    }
    return 0;
  }
  auto& def = std::get<model::definition>(parsed);
  require(model::validate(def).empty(), "a parsed definition passes validation", text);
  def.version = 7;
  auto stored = storage::decode_definition(storage::encode_definition(def));
  require(stored && *stored == def, "a stored definition decodes to what was stored", text);
  check_run(def, text);
  return 0;
}
