#include "http/compat/workfloo_view.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "model/time.hpp"
#include "storage/json_codec.hpp"

namespace baton::http::compat::workfloo {

namespace {

using model::process_status;
using model::step_kind;

constexpr std::int64_t epoch_2020_ms = 1'577'836'800'000;

std::string_view node_type(step_kind k) {
  switch (k) {
    case step_kind::script:
      return "SCRIPT";
    case step_kind::http:
      return "HTTP";
    case step_kind::external:
      return "FORM";
    case step_kind::timer:
      return "TIMER";
    case step_kind::switch_:
      return "CONDITION";
    case step_kind::fail:
      return "FAIL";
    case step_kind::job:
      return "JOB";
    case step_kind::message:
      return "MESSAGE";
    case step_kind::subprocess:
      return "SUBPROCESS";
    case step_kind::parallel:
      return "PARALLEL";
    case step_kind::for_each:
      return "FOREACH";
  }
  return "SCRIPT";
}

std::string_view node_status(model::step_status s) {
  switch (s) {
    case model::step_status::created:
      return "PENDING";
    case model::step_status::started:
      return "PROCESSING";
    case model::step_status::completed:
      return "FINISHED";
    case model::step_status::failed:
      return "ERROR";
    case model::step_status::skipped:
      return "SKIPPED";
  }
  return "PENDING";
}

/// Steps that wait for the world (a form to be filled, a time to come) are parked, not
/// processing; any other started step is doing its work.
bool parks(step_kind k) {
  return k == step_kind::external || k == step_kind::timer || k == step_kind::job ||
         k == step_kind::message || model::waits_for_children(k);
}

/// The node the execution is at: the active one, else the last one run; null when queued.
const model::step_execution* current_node(const model::process_state& p) {
  if (const auto* a = p.active()) return a;
  return p.steps.empty() ? nullptr : &p.steps.back();
}

/// The current node's type, suffixed `_PROCESSING` while it works (a retry backoff included).
std::string current_node_type(const model::process_state& p, const model::step_execution& node) {
  bool processing = &node == p.active() && !(parks(node.kind) && !node.retry_pending);
  return std::string(node_type(node.kind)) + (processing ? "_PROCESSING" : "");
}

std::string node_name(const model::step_execution& e, const model::definition* def) {
  const auto* st = def ? def->find_step(e.step) : nullptr;
  return st && !st->name.empty() ? st->name : e.step;
}

void str(std::string& out, std::string_view s) {
  out += '"';
  json_escape_to(out, s);
  out += '"';
}

void field(std::string& out, std::string_view key, std::string_view text) {
  out += ",\"";
  out += key;
  out += "\":";
  str(out, text);
}

void field_raw(std::string& out, std::string_view key, std::string_view json) {
  out += ",\"";
  out += key;
  out += "\":";
  out += json;
}

/// The fields a form step expects, as `[{name, type, required}]`.
std::string form_fields(const model::step& st) {
  std::string out = "[";
  for (const auto& p : st.params) {
    if (out.size() > 1) out += ',';
    out += "{\"name\":";
    str(out, p.name);
    out += ",\"type\":";
    str(out, model::type_name(p.type));
    out += p.required ? ",\"required\":true}" : ",\"required\":false}";
  }
  return out + "]";
}

/// Everything of the status document but its closing brace.
std::string open_status(const model::process_state& p, const model::definition* def,
                        std::int64_t now_ms) {
  std::string out = "{\"id\":";
  str(out, p.id);
  field_raw(out, "idUnykoo", std::to_string(number_of(p.id)));
  field(out, "name", p.definition);
  field(out, "status", status_name(p.status));
  const auto* node = current_node(p);
  if (!node) {
    out += ",\"currentNodeId\":null,\"currentNodeName\":null,\"currentNodeType\":null";
  } else {
    field(out, "currentNodeId", node->id);
    field(out, "currentNodeName", node_name(*node, def));
    field(out, "currentNodeType", current_node_type(p, *node));
    const auto* st = def ? def->find_step(node->step) : nullptr;
    if (node == p.active() && st && !node->retry_pending) {
      if (node->kind == step_kind::external) field_raw(out, "form", form_fields(*st));
      if (node->kind == step_kind::timer && node->due_ms > 0) {
        out += ",\"timer\":{\"endWaitDate\":";
        str(out, model::format_iso_instant(node->due_ms));
        out += ",\"remainingTime\":" +
               std::to_string(std::max<std::int64_t>(0, node->due_ms - now_ms)) + "}";
      }
    }
  }
  if (!p.error.empty()) field(out, "error", p.error);
  if (p.sandbox) {
    out += ",\"sandbox\":true";
    if (!p.scenario.empty()) field(out, "scenarioId", p.scenario);
  }
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string_view status_name(process_status s) {
  switch (s) {
    case process_status::waiting:
      return "PENDING";
    case process_status::running:
      return "IN_PROGRESS";
    case process_status::succeeded:
      return "FINISHED";
    case process_status::failed:
      return "ERROR";
    case process_status::cancelled:
      return "CANCELLED";
  }
  return "ERROR";
}

std::optional<process_status> parse_status(std::string_view name) {
  std::string upper(name);
  std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (auto s : {process_status::waiting, process_status::running, process_status::succeeded,
                 process_status::failed, process_status::cancelled}) {
    if (status_name(s) == upper) return s;
  }
  return model::parse_process_status(upper);
}

std::int64_t number_of(std::string_view process_id) {
  std::uint64_t ms = 0, seq = 0;
  if (process_id.size() == 24) {
    std::from_chars(process_id.data(), process_id.data() + 12, ms, 16);
    std::from_chars(process_id.data() + 16, process_id.data() + 24, seq, 16);
  }
  auto since_2020 = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, static_cast<std::int64_t>(ms) - epoch_2020_ms));
  return static_cast<std::int64_t>(((since_2020 & ((1ULL << 40) - 1)) << 13) | (seq & 0x1fff));
}

std::string status_json(const model::process_state& p, const model::definition* def,
                        std::int64_t now_ms, std::string_view extra) {
  auto out = open_status(p, def, now_ms);
  out += extra;
  out += '}';
  return out;
}

std::string list_item_json(const model::process_state& p, const model::definition* def,
                           std::int64_t now_ms) {
  std::string times;
  field(times, "created", model::format_iso_instant(p.created_ms));
  field(times, "modified", model::format_iso_instant(p.updated_ms));
  return status_json(p, def, now_ms, times);
}

std::string execution_json(const model::process_state& p, const model::definition* def,
                           std::int64_t now_ms) {
  auto out = open_status(p, def, now_ms);
  field(out, "idWorkflooDefinition", def ? def->id : std::string());
  field_raw(out, "version", std::to_string(p.version));
  field(out, "created", model::format_iso_instant(p.created_ms));
  field(out, "modified", model::format_iso_instant(p.updated_ms));
  out += ",\"variables\":";
  storage::append_values(out, p.vals);
  out += ",\"outputs\":";
  storage::append_values(out, p.outputs);
  out += ",\"nodes\":[";
  for (const auto& e : p.steps) {
    if (out.back() != '[') out += ',';
    out += "{\"id\":";
    str(out, e.id);
    field(out, "nodeId", e.step);
    field(out, "name", node_name(e, def));
    field(out, "type", node_type(e.kind));
    field(out, "status", node_status(e.status));
    field_raw(out, "attempt", std::to_string(e.attempt));
    field(out, "created", model::format_iso_instant(e.created_ms));
    field(out, "modified", model::format_iso_instant(e.modified_ms));
    out += ",\"variables\":";
    storage::append_values(out, e.params);
    if (!e.error.empty()) field(out, "error", e.error);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string_view csv_header() {
  return "id,idUnykoo,name,status,currentNodeId,currentNodeName,currentNodeType,created,"
         "modified\r\n";
}

std::string csv_line(const model::process_state& p, const model::definition* def) {
  const auto* node = current_node(p);
  std::string out = csv_field(p.id) + ',' + std::to_string(number_of(p.id)) + ',' +
                    csv_field(p.definition) + ',' + std::string(status_name(p.status)) + ',';
  if (node) {
    out += csv_field(node->id) + ',' + csv_field(node_name(*node, def)) + ',' +
           current_node_type(p, *node);
  } else {
    out += ",,";
  }
  return out + ',' + model::format_iso_instant(p.created_ms) + ',' +
         model::format_iso_instant(p.updated_ms) + "\r\n";
}

}  // namespace baton::http::compat::workfloo
