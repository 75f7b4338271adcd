#include "actors/new_process.hpp"

#include <algorithm>

#include "actors/context.hpp"
#include "model/suggest.hpp"

namespace baton::actors {

namespace {

process_answer refusal(engine_errc code, std::string message, std::string field) {
  process_answer a;
  a.code = code;
  a.message = std::move(message);
  a.field = std::move(field);
  return a;
}

}  // namespace

std::variant<process_launch, process_answer> prepare_launch(const engine_context& ctx,
                                                            start_request& req, std::string id,
                                                            std::int64_t now_ms) {
  auto def = ctx.definitions.find(req.definition, req.version);
  if (!def) {
    return refusal(engine_errc::unknown_definition,
                   "unknown definition \"" + req.definition + "\"" +
                       model::did_you_mean(req.definition, ctx.definitions.names()),
                   "definition");
  }
  // A branch or item run is part of a process already running: a retirement does not stop it.
  if (auto retired = req.entry.empty() ? ctx.definitions.retirement(def->name) : std::nullopt) {
    return refusal(engine_errc::conflict,
                   "definition \"" + def->name + "\" is retired" +
                       (retired->by.empty() ? std::string() : " by " + retired->by) +
                       "; deploy it again to start new processes",
                   "definition");
  }
  bool sandbox = req.sandbox || !req.scenario.empty() ||
                 ctx.settings.engine.mode == config::engine_mode::sandbox;
  if (!req.scenario.empty()) {
    if (!def->find_scenario(req.scenario)) {
      return refusal(engine_errc::unknown_scenario, "scenarioId not found", "scenarioId");
    }
  } else if (sandbox && def->requires_scenario) {
    return refusal(engine_errc::scenario_required, "scenarioId not found", "scenarioId");
  }
  if (req.strict_values && !def->inputs.empty() && !def->extra_values) {
    std::vector<std::string> declared;
    for (const auto& d : def->inputs) declared.push_back(d.name);
    for (const auto& [name, v] : req.values) {
      if (std::ranges::find(declared, name) != declared.end()) continue;
      return refusal(
          engine_errc::invalid_input,
          "unknown value \"" + name + "\": " + def->name + " takes " +
              [&] {
                std::string list;
                for (const auto& d : declared) list += (list.empty() ? "" : ", ") + d;
                return list;
              }() +
              model::did_you_mean(name, declared) +
              " (a definition with \"extraValues\": true takes others too)",
          "/values/" + name);
    }
  }
  auto inputs = model::check_inputs(*def, req.values);
  if (!inputs.errors.empty()) {
    auto a = refusal(engine_errc::invalid_input,
                     inputs.errors.front().first + ": " + inputs.errors.front().second,
                     inputs.errors.front().first);
    a.field_errors = std::move(inputs.errors);
    return a;
  }
  process_launch l;
  l.is_new = true;
  l.state.id = std::move(id);
  l.state.definition = def->name;
  l.state.version = def->version;
  l.state.scope = req.scope;
  l.state.vals = std::move(inputs.accepted);
  l.state.retry_count = req.retry_count;
  l.state.created_ms = l.state.updated_ms = now_ms;
  l.state.scenario = req.scenario;
  l.state.sandbox = sandbox;
  l.state.worker = req.worker;
  l.state.schedule_id = req.schedule_id;
  l.state.parent_id = req.parent_id;
  l.state.parent_step = req.parent_step;
  l.state.entry = req.entry;
  l.idempotency_key = req.idempotency_key;
  if (req.callback) l.state.callback_url = req.callback->url;
  l.callback = std::move(req.callback);
  l.wait_timeout_ms = req.wait_timeout_ms;
  return l;
}

model::transition first_transition(model::process_state created, const model::definition& def,
                                   const model::scenario* scenario, bool admitted,
                                   std::int64_t now_ms) {
  model::transition t;
  t.state = std::move(created);
  t.history.push_back({++t.state.history_seq,
                       t.state.created_ms,
                       "process_created",
                       {},
                       def.name + " v" + std::to_string(def.version)});
  if (!admitted) return t;
  model::apply_context actx;
  actx.now_ms = now_ms;
  actx.random = 0.5;
  actx.sandbox_scenario = scenario;
  auto started = model::apply(t.state, def, model::ev_admitted{}, actx);
  for (auto& h : t.history) started.history.insert(started.history.begin(), h);
  return started;
}

void count_stored_start(engine_context& ctx) {
  ++ctx.started;
  ++ctx.active;
}

void count_finished(engine_context& ctx, model::process_status status) {
  switch (status) {
    case model::process_status::succeeded:
      ++ctx.succeeded;
      break;
    case model::process_status::failed:
      ++ctx.failed;
      break;
    case model::process_status::cancelled:
      ++ctx.cancelled;
      break;
    default:
      return;
  }
  --ctx.active;
}

}  // namespace baton::actors
