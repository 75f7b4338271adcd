#include "storage/json_codec.hpp"

#include "model/ids.hpp"
#include "model/json_write.hpp"
#include "storage/json_read.hpp"

namespace baton::storage {

using model::value;
using namespace json_read;
using namespace model::json_write;

std::string_view json_of(std::string_view stored) {
  return stored.empty() ? stored : stored.substr(1);
}

void append_values(std::string& out, const model::values& vals) {
  out += '{';
  for (const auto& [k, v] : vals) {
    user_key(out, k);
    out += model::to_json(v);
  }
  out += '}';
}

namespace {

/// A run; `for_api` adds the RFC 3339 twin of its fire time.
void append_run_object(std::string& out, const model::schedule_run& r, bool for_api) {
  out += '{';
  field(out, "fireMs", r.fire_ms);
  if (for_api) time_field(out, "fireAt", r.fire_ms);
  if (!r.process_id.empty()) field(out, "processId", r.process_id);
  if (!r.note.empty()) field(out, "note", r.note);
  out += '}';
}

model::schedule_run run_of(dom::element r) {
  return {int_of(r, "fireMs"), text_of(r, "processId"), text_of(r, "note")};
}

/// The schedule's members; the API's view (`with_runs`) has its runs and RFC 3339 twins of
/// its times, the stored record neither.
std::string schedule_document(const model::schedule& s, bool with_runs) {
  std::string out;
  out += format_v1;
  out += '{';
  field(out, "id", s.id);
  field(out, "definition", s.definition);
  key(out, "values");
  append_values(out, s.vals);
  if (!s.scope.empty()) field(out, "scope", s.scope);
  field(out, "cron", s.cron);
  field(out, "timeZone", s.time_zone);
  if (s.start_ms) field(out, "startMs", *s.start_ms);
  if (s.end_ms) field(out, "endMs", *s.end_ms);
  field(out, "runOnce", s.run_once);
  field(out, "runImmediately", s.run_immediately);
  field(out, "retryCount", static_cast<std::int64_t>(s.retry_count));
  if (!s.worker.empty()) field(out, "worker", s.worker);
  field(out, "misfire", model::to_string(s.misfire));
  field(out, "catchUpWindowMs", s.catch_up_window_ms);
  field(out, "overlap", model::to_string(s.overlap));
  field(out, "status", model::to_string(s.status));
  field(out, "createdMs", s.created_ms);
  field(out, "nextFireMs", s.next_fire_ms);
  if (with_runs) {
    if (s.start_ms) time_field(out, "startAt", *s.start_ms);
    if (s.end_ms) time_field(out, "endAt", *s.end_ms);
    time_field(out, "createdAt", s.created_ms);
    if (s.next_fire_ms) time_field(out, "nextFireAt", s.next_fire_ms);
    key(out, "runs");
    out += '[';
    for (const auto& r : s.runs) {
      if (out.back() != '[') out += ',';
      append_run_object(out, r, true);
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace

std::string encode_schedule(const model::schedule& s) { return schedule_document(s, true); }

std::string encode_schedule_record(const model::schedule& s) { return schedule_document(s, false); }

std::string encode_schedule_run(const model::schedule_run& r, const schedule_advance* advance) {
  std::string out;
  out += format_v1;
  append_run_object(out, r, false);
  if (advance) {
    out.pop_back();
    field(out, "nextFireMs", advance->next_fire_ms);
    field(out, "status", model::to_string(advance->status));
    out += '}';
  }
  return out;
}

std::optional<stored_schedule_run> decode_schedule_run(std::string_view stored) {
  dom::element doc;
  if (!parse_stored(stored, doc)) return std::nullopt;
  stored_schedule_run out{run_of(doc), std::nullopt};
  std::int64_t next;
  if (doc["nextFireMs"].get_int64().get(next) == simdjson::SUCCESS) {
    auto status = model::parse_schedule_status(text_of(doc, "status"));
    if (status) out.advance = schedule_advance{next, *status};
  }
  return out;
}

std::optional<model::schedule> decode_schedule(std::string_view stored) {
  dom::element doc;
  if (!parse_stored(stored, doc)) return std::nullopt;
  model::schedule s;
  s.id = text_of(doc, "id");
  s.definition = text_of(doc, "definition");
  s.vals = values_of(doc, "values");
  s.scope = text_of(doc, "scope");
  s.cron = text_of(doc, "cron");
  s.time_zone = text_of(doc, "timeZone");
  std::int64_t ms;
  if (doc["startMs"].get_int64().get(ms) == simdjson::SUCCESS) s.start_ms = ms;
  if (doc["endMs"].get_int64().get(ms) == simdjson::SUCCESS) s.end_ms = ms;
  s.run_once = bool_of(doc, "runOnce");
  s.run_immediately = bool_of(doc, "runImmediately");
  s.retry_count = static_cast<int>(int_of(doc, "retryCount"));
  s.worker = text_of(doc, "worker");
  s.misfire = model::parse_misfire_policy(text_of(doc, "misfire")).value_or(s.misfire);
  s.catch_up_window_ms = int_of(doc, "catchUpWindowMs", s.catch_up_window_ms);
  s.overlap = model::parse_overlap_policy(text_of(doc, "overlap")).value_or(s.overlap);
  s.status = model::parse_schedule_status(text_of(doc, "status")).value_or(s.status);
  s.created_ms = int_of(doc, "createdMs");
  s.next_fire_ms = int_of(doc, "nextFireMs");
  dom::array runs;
  if (doc["runs"].get_array().get(runs) == simdjson::SUCCESS) {
    for (dom::element r : runs) s.runs.push_back(run_of(r));
  }
  return s;
}

// ---- definitions ----------------------------------------------------------------------------

namespace {

/// The members of `obj` with each key once, holding its last value at its first position:
/// duplicate keys resolve as in JavaScript, and the values they replace are not looked at.
std::vector<std::pair<std::string_view, dom::element>> last_wins(dom::object obj) {
  std::vector<std::pair<std::string_view, dom::element>> out;
  for (auto [k, v] : obj) {
    auto same =
        std::find_if(out.begin(), out.end(), [&key = k](const auto& p) { return p.first == key; });
    if (same != out.end())
      same->second = v;
    else
      out.emplace_back(k, v);
  }
  return out;
}

/// Reads a definition document, noting every structural problem by JSON pointer.
class definition_reader {
 public:
  std::vector<model::definition_problem> problems;

  model::definition read(dom::element doc) {
    model::definition d;
    dom::object root;
    if (doc.get_object().get(root) != simdjson::SUCCESS) {
      add("", "a definition is a JSON object");
      return d;
    }
    for (auto [k, v] : last_wins(root)) {
      if (k == "name")
        d.name = string("/name", v);
      else if (k == "description")
        d.description = string("/description", v);
      else if (k == "inputs")
        read_inputs(v, d);
      else if (k == "outputs")
        d.outputs = strings("/outputs", v);
      else if (k == "steps")
        read_steps(v, d);
      else if (k == "scenarios")
        read_scenarios(v, d);
      else if (k == "requiresScenario")
        d.requires_scenario = boolean("/requiresScenario", v);
      else if (k == "extraValues")
        d.extra_values = boolean("/extraValues", v);
      else if (k == "id" || k == "version")
        continue;  // assigned by the server
      else
        add("/" + std::string(k), "unknown field");
    }
    if (root["steps"].error()) add("/steps", "required");
    return d;
  }

 private:
  void add(std::string pointer, std::string message) {
    problems.push_back({std::move(pointer), std::move(message)});
  }
  std::string string(const std::string& at, dom::element v) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      add(at, "expected a string");
      return {};
    }
    return std::string(s);
  }
  bool boolean(const std::string& at, dom::element v) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) add(at, "expected true or false");
    return b;
  }
  std::int64_t integer(const std::string& at, dom::element v) {
    std::int64_t i = 0;
    if (v.get_int64().get(i) != simdjson::SUCCESS) add(at, "expected an integer");
    return i;
  }
  double number(const std::string& at, dom::element v) {
    double d = 0;
    if (v.get_double().get(d) != simdjson::SUCCESS) add(at, "expected a number");
    return d;
  }
  std::vector<std::string> strings(const std::string& at, dom::element v) {
    std::vector<std::string> out;
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
      add(at, "expected an array of strings");
      return out;
    }
    std::size_t i = 0;
    for (auto item : arr) out.push_back(string(at + "/" + std::to_string(i++), item));
    return out;
  }
  std::vector<std::pair<std::string, std::string>> string_map(const std::string& at,
                                                              dom::element v) {
    std::vector<std::pair<std::string, std::string>> out;
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
      add(at, "expected an object");
      return out;
    }
    for (auto [k, item] : last_wins(obj)) {
      auto name = std::string(k);
      auto text = item.is_string() ? string(at + "/" + name, item) : simdjson::minify(item);
      auto existing =
          std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == name; });
      if (existing != out.end())
        existing->second = text;  // last duplicate wins
      else
        out.emplace_back(name, text);
    }
    return out;
  }
  model::value_type type(const std::string& at, dom::element v) {
    auto name = string(at, v);
    if (auto t = model::parse_value_type(name)) return *t;
    if (!name.empty()) add(at, "unknown type \"" + name + "\" (string, long, double, bool, json)");
    return model::value_type::string;
  }

  void read_inputs(dom::element v, model::definition& d) {
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) return add("/inputs", "expected an object");
    for (auto [k, spec] : last_wins(obj)) {
      model::input_decl in;
      in.name = std::string(k);
      auto at = "/inputs/" + in.name;
      if (spec.is_string()) {
        in.type = type(at, spec);
      } else if (spec.is_object()) {
        for (auto [fk, fv] : last_wins(as_object(spec))) {
          if (fk == "type")
            in.type = type(at + "/type", fv);
          else if (fk == "required")
            in.required = boolean(at + "/required", fv);
          else if (fk == "default")
            in.default_value = to_value(fv);
          else
            add(at + "/" + std::string(fk), "unknown field");
        }
      } else {
        add(at, "expected a type name or {type, required, default}");
      }
      d.inputs.push_back(std::move(in));
    }
  }

  std::vector<model::param_decl> params(const std::string& at, dom::element v) {
    std::vector<model::param_decl> out;
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
      add(at, "expected an object");
      return out;
    }
    for (auto [k, spec] : last_wins(obj)) {
      model::param_decl p;
      p.name = std::string(k);
      auto pat = at + "/" + p.name;
      if (spec.is_string()) {
        p.type = type(pat, spec);
      } else if (spec.is_object()) {
        for (auto [fk, fv] : last_wins(as_object(spec))) {
          if (fk == "type")
            p.type = type(pat + "/type", fv);
          else if (fk == "required")
            p.required = boolean(pat + "/required", fv);
          else
            add(pat + "/" + std::string(fk), "unknown field");
        }
      } else {
        add(pat, "expected a type name or {type, required}");
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  model::retry_policy retry(const std::string& at, dom::element v) {
    model::retry_policy r;
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
      add(at, "expected an object");
      return r;
    }
    for (auto [k, fv] : last_wins(obj)) {
      if (k == "count")
        r.count = static_cast<int>(integer(at + "/count", fv));
      else if (k == "backoff") {
        auto b = string(at + "/backoff", fv);
        if (b == "fixed")
          r.backoff = model::backoff_kind::fixed;
        else if (b == "exponential")
          r.backoff = model::backoff_kind::exponential;
        else
          add(at + "/backoff", "expected \"fixed\" or \"exponential\"");
      } else if (k == "initialMs")
        r.initial_ms = integer(at + "/initialMs", fv);
      else if (k == "maxMs")
        r.max_ms = integer(at + "/maxMs", fv);
      else if (k == "jitter")
        r.jitter = number(at + "/jitter", fv);
      else
        add(at + "/" + std::string(k), "unknown field");
    }
    return r;
  }

  void read_http(const std::string& at, dom::element v, model::http_spec& h) {
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) return add(at, "expected an object");
    for (auto [k, fv] : last_wins(obj)) {
      auto fat = at + "/" + std::string(k);
      if (k == "method")
        h.method = string(fat, fv);
      else if (k == "url")
        h.url = string(fat, fv);
      else if (k == "headers")
        h.headers = string_map(fat, fv);
      else if (k == "body")
        h.body = fv.is_string() ? string(fat, fv) : simdjson::minify(fv);
      else if (k == "map")
        h.map = string_map(fat, fv);
      else if (k == "expect") {
        dom::array arr;
        if (fv.get_array().get(arr) != simdjson::SUCCESS) {
          add(fat, "expected an array of statuses");
          continue;
        }
        std::size_t i = 0;
        for (auto s : arr)
          h.expect.push_back(static_cast<int>(integer(fat + "/" + std::to_string(i++), s)));
      } else
        add(fat, "unknown field");
    }
  }

  std::vector<std::string> step_ids(const std::string& at, dom::element v) {
    std::vector<std::string> out;
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
      add(at, "expected an array of step ids");
      return out;
    }
    std::size_t i = 0;
    for (auto id : arr) out.push_back(string(at + "/" + std::to_string(i++), id));
    return out;
  }

  /// `"all"`, `"any"` or `{"atLeast": n}`.
  model::join_rule join(const std::string& at, dom::element v) {
    model::join_rule rule;
    if (v.is_string()) {
      auto text = string(at, v);
      if (text == "any") {
        rule.k = model::join_rule::kind::at_least;
        rule.count = 1;
      } else if (text != "all") {
        add(at, "expected \"all\", \"any\" or {\"atLeast\": n}");
      }
      return rule;
    }
    dom::element n;
    if (!v.is_object() || v["atLeast"].get(n) != simdjson::SUCCESS) {
      add(at, "expected \"all\", \"any\" or {\"atLeast\": n}");
      return rule;
    }
    rule.k = model::join_rule::kind::at_least;
    rule.count =
        static_cast<int>(std::clamp<std::int64_t>(integer(at + "/atLeast", n), -1, 1'000'000));
    return rule;
  }

  void read_steps(dom::element v, model::definition& d) {
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return add("/steps", "expected an array");
    std::size_t index = 0;
    for (auto item : arr) {
      auto at = "/steps/" + std::to_string(index++);
      model::step s;
      dom::object obj;
      if (item.get_object().get(obj) != simdjson::SUCCESS) {
        add(at, "expected an object");
        d.steps.push_back(std::move(s));
        continue;
      }
      std::string kind;
      for (auto [k, fv] : last_wins(obj)) {
        auto fat = at + "/" + std::string(k);
        if (k == "id")
          s.id = string(fat, fv);
        else if (k == "name")
          s.name = string(fat, fv);
        else if (k == "kind")
          kind = string(fat, fv);
        else if (k == "next")
          s.next = fv.is_null() ? std::string() : string(fat, fv);
        else if (k == "retry")
          s.retry = retry(fat, fv);
        else if (k == "timeoutMs")
          s.timeout_ms = integer(fat, fv);
        else if (k == "set")
          s.set = string_map(fat, fv);
        else if (k == "http")
          read_http(fat, fv, s.http);
        else if (k == "params")
          s.params = params(fat, fv);
        else if (k == "type")
          s.job_type = string(fat, fv);
        else if (k == "correlation")
          s.correlation = string(fat, fv);
        else if (k == "duration")
          s.duration = string(fat, fv);
        else if (k == "until")
          s.until = string(fat, fv);
        else if (k == "default")
          s.default_next = string(fat, fv);
        else if (k == "message")
          s.message = string(fat, fv);
        else if (k == "definition")
          s.child_definition = string(fat, fv);
        else if (k == "version")
          s.child_version = integer(fat, fv);
        else if (k == "values")
          s.child_values = string_map(fat, fv);
        else if (k == "map" || k == "collect")
          s.map = string_map(fat, fv);
        else if (k == "branches") {
          dom::array branches;
          if (fv.get_array().get(branches) != simdjson::SUCCESS) {
            add(fat, "expected an array of branches, each an array of step ids");
            continue;
          }
          std::size_t bi = 0;
          for (auto b : branches)
            s.branches.push_back(step_ids(fat + "/" + std::to_string(bi++), b));
        } else if (k == "steps")
          s.branches = {step_ids(fat, fv)};
        else if (k == "join")
          s.join = join(fat, fv);
        else if (k == "onBranchFailure") {
          auto text = string(fat, fv);
          if (text == "continue")
            s.continue_on_failure = true;
          else if (text != "fail")
            add(fat, "expected \"fail\" or \"continue\"");
        } else if (k == "merge") {
          auto text = string(fat, fv);
          if (text == "last")
            s.merge_last = true;
          else if (text != "conflict")
            add(fat, "expected \"last\" (or \"conflict\", the default)");
        } else if (k == "items")
          s.items = string(fat, fv);
        else if (k == "as")
          s.item_name = string(fat, fv);
        else if (k == "parallel")
          s.in_parallel = boolean(fat, fv);
        else if (k == "limit")
          s.limit = static_cast<int>(std::clamp<std::int64_t>(integer(fat, fv), -1, 1'000'000));
        else if (k == "cases") {
          dom::array cases;
          if (fv.get_array().get(cases) != simdjson::SUCCESS) {
            add(fat, "expected an array of {when, next}");
            continue;
          }
          std::size_t ci = 0;
          for (auto c : cases) {
            auto cat = fat + "/" + std::to_string(ci++);
            model::switch_case sc;
            if (!c.is_object()) {
              add(cat, "expected {when, next}");
              continue;
            }
            for (auto [ck, cv] : last_wins(as_object(c))) {
              if (ck == "when")
                sc.when = string(cat + "/when", cv);
              else if (ck == "next")
                sc.next = string(cat + "/next", cv);
              else
                add(cat + "/" + std::string(ck), "unknown field");
            }
            s.cases.push_back(std::move(sc));
          }
        } else
          add(fat, "unknown field");
      }
      if (kind.empty())
        add(at + "/kind", "required");
      else if (auto k = model::parse_step_kind(kind))
        s.kind = *k;
      else
        add(at + "/kind",
            "unknown kind \"" + kind +
                "\" (script, http, external, timer, switch, fail, job, message, subprocess, "
                "parallel, forEach)");
      // A message step's name is the message it waits for: required, so not defaulted.
      if (s.name.empty() && s.kind != model::step_kind::message) s.name = s.id;
      d.steps.push_back(std::move(s));
    }
  }

  void read_scenarios(dom::element v, model::definition& d) {
    dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS)
      return add("/scenarios", "expected an object");
    for (auto [id, spec] : last_wins(obj)) {
      model::scenario sc;
      sc.id = std::string(id);
      auto at = "/scenarios/" + sc.id;
      dom::object steps;
      if (spec["steps"].get_object().get(steps) != simdjson::SUCCESS) {
        add(at + "/steps", "expected an object of step id → {outputs | fail | complete}");
        continue;
      }
      for (auto [sid, canned] : last_wins(steps)) {
        auto sat = at + "/steps/" + std::string(sid);
        model::scenario_step c;
        if (!canned.is_object()) {
          add(sat, "expected {outputs | fail | complete}");
          continue;
        }
        for (auto [k, fv] : last_wins(as_object(canned))) {
          if (k == "outputs" && fv.is_object())
            c.outputs = to_values(as_object(fv));
          else if (k == "complete" && fv.is_object())
            c.complete = to_values(as_object(fv));
          else if (k == "fail")
            c.fail = string(sat + "/fail", fv);
          else
            add(sat + "/" + std::string(k), "expected outputs {..}, complete {..} or fail \"..\"");
        }
        sc.steps[std::string(sid)] = std::move(c);
      }
      d.scenarios.push_back(std::move(sc));
    }
  }
};

}  // namespace

std::variant<model::definition, std::vector<model::definition_problem>> parse_definition(
    std::string_view json) {
  dom::element doc;
  auto& parser = thread_parser();
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err != simdjson::SUCCESS) {
    return std::vector<model::definition_problem>{
        {"", std::string("malformed JSON: ") + simdjson::error_message(err)}};
  }
  definition_reader reader;
  auto def = reader.read(doc);
  // Structural and semantic problems together, so one round trip shows them all; a
  // semantic finding on a field the reader already rejected is left out.
  auto problems = std::move(reader.problems);
  for (auto& p : model::validate(def)) {
    bool known = std::any_of(problems.begin(), problems.end(), [&](const auto& q) {
      return p.pointer.rfind(q.pointer, 0) == 0 || q.pointer.rfind(p.pointer, 0) == 0;
    });
    if (!known) problems.push_back(std::move(p));
  }
  if (!problems.empty()) return problems;
  def.source = simdjson::minify(doc);
  def.id = model::id_from_name(def.name);
  return def;
}

std::string encode_definition(const model::definition& d) {
  std::string out;
  out += format_v1;
  out += '{';
  field(out, "version", d.version);
  key(out, "source");
  out += d.source;
  out += '}';
  return out;
}

std::optional<model::definition> decode_definition(std::string_view stored) {
  std::int64_t version = 1;
  std::string source;
  {
    dom::element doc;
    if (!parse_stored(stored, doc)) return std::nullopt;
    version = int_of(doc, "version", 1);
    dom::element src;
    if (doc["source"].get(src) != simdjson::SUCCESS) return std::nullopt;
    source = simdjson::minify(src);
  }
  auto parsed = parse_definition(source);
  auto* def = std::get_if<model::definition>(&parsed);
  if (!def) return std::nullopt;
  def->version = version;
  return std::move(*def);
}

std::string definition_json(const model::definition& d) {
  // The source without its first '{', behind the server-assigned fields.
  std::string out = "{";
  field(out, "id", d.id);
  field(out, "version", d.version);
  if (d.source.size() > 2) {
    // Drop source's own "name"? It is the same; keep the source as deployed.
    out += ',';
    out.append(d.source, 1);
  } else {
    out += '}';
  }
  return out;
}

std::string encode_retirement(const model::retirement& r) {
  std::string out;
  out += format_v1;
  out += '{';
  field(out, "atMs", r.at_ms);
  field(out, "by", r.by);
  out += '}';
  return out;
}

std::optional<model::retirement> decode_retirement(std::string_view stored) {
  dom::element doc;
  if (!parse_stored(stored, doc) || !doc.is_object()) return std::nullopt;
  return model::retirement{int_of(doc, "atMs"), text_of(doc, "by")};
}

std::variant<model::values, std::string> parse_values(std::string_view json_object) {
  dom::element doc;
  if (thread_parser().parse(json_object.data(), json_object.size()).get(doc) != simdjson::SUCCESS) {
    return std::string("malformed JSON");
  }
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return std::string("expected an object");
  return to_values(obj);
}

std::optional<model::value> value_at_pointer(std::string_view json, std::string_view pointer) {
  dom::element doc;
  if (thread_parser().parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  dom::element found;
  if (pointer.empty()) return to_value(doc);
  if (doc.at_pointer(pointer).get(found) != simdjson::SUCCESS) return std::nullopt;
  return to_value(found);
}

namespace {

constexpr std::string_view recovery_kind_chars = "nqtrhjc";  // in recovery_kind order

}  // namespace

std::string encode_recovery_need(const model::recovery_need& need) {
  std::string out;
  out.reserve(24 + need.step_id.size() + need.scope.size());
  out += format_v1;
  out += recovery_kind_chars[static_cast<std::size_t>(need.kind)];
  out += std::to_string(need.due_ms);
  out += '|';
  out += need.step_id;
  out += '|';
  out += need.scope;
  return out;
}

std::optional<model::recovery_need> decode_recovery_need(std::string_view stored) {
  if (stored.size() < 2 || stored[0] != format_v1) return std::nullopt;
  auto kind = recovery_kind_chars.find(stored[1]);
  if (kind == std::string_view::npos) return std::nullopt;
  model::recovery_need need;
  need.kind = static_cast<model::recovery_kind>(kind);
  auto rest = stored.substr(2);
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), need.due_ms);
  if (ec != std::errc{}) return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (rest.empty() || rest[0] != '|') return std::nullopt;
  rest.remove_prefix(1);
  auto bar = rest.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  need.step_id = std::string(rest.substr(0, bar));
  need.scope = std::string(rest.substr(bar + 1));
  return need;
}

}  // namespace baton::storage
