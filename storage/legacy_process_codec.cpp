// Process snapshots and callback targets as earlier releases stored them: format_v1 + JSON.

#include "storage/json_read.hpp"
#include "storage/legacy_json_codec.hpp"

namespace baton::storage::legacy {

using namespace json_read;

std::optional<model::process_state> read_process(std::string_view stored) {
  dom::element doc;
  if (!parse_stored(stored, doc)) return std::nullopt;
  model::process_state p;
  p.id = text_of(doc, "id");
  p.definition = text_of(doc, "definition");
  p.version = int_of(doc, "version", 1);
  p.scope = text_of(doc, "scope");
  p.status =
      model::parse_process_status(text_of(doc, "status")).value_or(model::process_status::failed);
  p.vals = values_of(doc, "values");
  p.outputs = values_of(doc, "outputs");
  dom::array steps;
  if (doc["steps"].get_array().get(steps) == simdjson::SUCCESS) {
    for (dom::element s : steps) {
      model::step_execution e;
      e.id = text_of(s, "processStepId");
      e.step = text_of(s, "step");
      e.kind = model::parse_step_kind(text_of(s, "kind")).value_or(model::step_kind::script);
      auto status = text_of(s, "status");
      for (auto st :
           {model::step_status::created, model::step_status::started, model::step_status::completed,
            model::step_status::failed, model::step_status::skipped}) {
        if (model::to_string(st) == status) e.status = st;
      }
      e.attempt = static_cast<int>(int_of(s, "attempt", 1));
      e.created_ms = int_of(s, "createdMs");
      e.modified_ms = int_of(s, "modifiedMs");
      e.due_ms = int_of(s, "dueMs");
      e.retry_pending = bool_of(s, "retryPending");
      e.error = text_of(s, "error");
      e.params = values_of(s, "params");
      p.steps.push_back(std::move(e));
    }
  }
  p.retry_count = static_cast<int>(int_of(doc, "retryCount"));
  p.error = text_of(doc, "error");
  p.created_ms = int_of(doc, "createdMs");
  p.updated_ms = int_of(doc, "updatedMs");
  p.scenario = text_of(doc, "scenarioId");
  p.sandbox = bool_of(doc, "sandbox");
  p.worker = text_of(doc, "worker");
  p.schedule_id = text_of(doc, "scheduleId");
  p.callback_url = text_of(doc, "callbackUrl");
  p.history_seq = static_cast<std::uint64_t>(int_of(doc, "historySeq"));
  return p;
}

std::optional<model::callback_target> read_callback(std::string_view stored) {
  dom::element doc;
  if (!parse_stored(stored, doc)) return std::nullopt;
  model::callback_target c;
  c.url = text_of(doc, "url");
  c.format = text_of(doc, "format");
  dom::array headers;
  if (doc["headers"].get_array().get(headers) == simdjson::SUCCESS) {
    for (dom::element pair : headers) {
      std::string_view name, val;
      if (pair.at(0).get_string().get(name) == simdjson::SUCCESS &&
          pair.at(1).get_string().get(val) == simdjson::SUCCESS) {
        c.headers.emplace_back(name, val);
      }
    }
  }
  return c;
}

}  // namespace baton::storage::legacy
