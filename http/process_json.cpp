#include "http/process_json.hpp"

#include "model/json_write.hpp"
#include "model/time.hpp"
#include "storage/json_codec.hpp"

namespace baton::http {

using namespace model::json_write;

namespace {

void append_history_object(std::string& out, const model::history_entry& h) {
  out += '{';
  field(out, "seq", static_cast<std::int64_t>(h.seq));
  field(out, "atMs", h.at_ms);
  time_field(out, "at", h.at_ms);
  field(out, "type", h.type);
  if (!h.step_id.empty()) field(out, "processStepId", h.step_id);
  if (!h.detail.empty()) field(out, "detail", h.detail);
  out += '}';
}

}  // namespace

void append_process_json(std::string& out, const model::process_state& p) {
  out += '{';
  field(out, "id", p.id);
  field(out, "definition", p.definition);
  field(out, "version", p.version);
  if (!p.scope.empty()) field(out, "scope", p.scope);
  field(out, "status", model::to_string(p.status));
  key(out, "values");
  storage::append_values(out, p.vals);
  key(out, "outputs");
  storage::append_values(out, p.outputs);
  key(out, "steps");
  out += '[';
  for (const auto& s : p.steps) {
    if (out.back() != '[') out += ',';
    out += '{';
    field(out, "processStepId", s.id);
    field(out, "step", s.step);
    field(out, "kind", model::to_string(s.kind));
    field(out, "status", model::to_string(s.status));
    field(out, "attempt", static_cast<std::int64_t>(s.attempt));
    field(out, "createdMs", s.created_ms);
    time_field(out, "createdAt", s.created_ms);
    field(out, "modifiedMs", s.modified_ms);
    time_field(out, "modifiedAt", s.modified_ms);
    if (s.due_ms) {
      field(out, "dueMs", s.due_ms);
      time_field(out, "dueAt", s.due_ms);
    }
    if (s.retry_pending) field(out, "retryPending", true);
    if (!s.error.empty()) field(out, "error", s.error);
    if (!s.params.empty()) {
      key(out, "params");
      storage::append_values(out, s.params);
    }
    out += '}';
  }
  out += ']';
  if (p.retry_count) field(out, "retryCount", static_cast<std::int64_t>(p.retry_count));
  if (!p.error.empty()) field(out, "error", p.error);
  field(out, "createdMs", p.created_ms);
  time_field(out, "createdAt", p.created_ms);
  field(out, "updatedMs", p.updated_ms);
  time_field(out, "updatedAt", p.updated_ms);
  if (!p.scenario.empty()) field(out, "scenarioId", p.scenario);
  if (p.sandbox) field(out, "sandbox", true);
  if (!p.worker.empty()) field(out, "worker", p.worker);
  if (!p.schedule_id.empty()) field(out, "scheduleId", p.schedule_id);
  if (!p.callback_url.empty()) field(out, "callbackUrl", p.callback_url);
  field(out, "historySeq", static_cast<std::int64_t>(p.history_seq));
  if (p.lease.held()) {
    // Who holds the job step and until when; the token stays with the worker that has it.
    key(out, "lease");
    out += '{';
    field(out, "processStepId", p.lease.step_id);
    field(out, "worker", p.lease.worker);
    field(out, "expiresMs", p.lease.expires_ms);
    time_field(out, "expiresAt", p.lease.expires_ms);
    out += '}';
  }
  if (!p.parent_id.empty()) {
    key(out, "parent");
    out += '{';
    field(out, "processId", p.parent_id);
    field(out, "processStepId", p.parent_step);
    out += '}';
  }
  if (!p.entry.empty()) field(out, "entryStep", p.entry);
  if (!p.children.empty()) {
    // The sub-processes, branches and items this process started, with how each ended.
    key(out, "children");
    out += '[';
    for (const auto& c : p.children) {
      if (out.back() != '[') out += ',';
      out += '{';
      field(out, "processId", c.id);
      field(out, "processStepId", c.step_id);
      field(out, "attempt", static_cast<std::int64_t>(c.attempt));
      field(out, "index", static_cast<std::int64_t>(c.index));
      field(out, "status", model::to_string(c.status));
      if (!c.error.empty()) field(out, "error", c.error);
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

std::string process_json(const model::process_state& p) {
  std::string out;
  // About 230 bytes a process and 290 a step (with their RFC 3339 twins): one allocation for
  // the usual answer, where 256 a piece made a one-step process grow (and copy) once.
  out.reserve(320 + 320 * p.steps.size());
  append_process_json(out, p);
  return out;
}

std::string history_json(const std::vector<model::history_entry>& entries) {
  std::string out;
  out.reserve(2 + 128 * entries.size());
  out += '[';
  for (const auto& h : entries) {
    if (out.size() > 1) out += ',';
    append_history_object(out, h);
  }
  out += ']';
  return out;
}

}  // namespace baton::http
