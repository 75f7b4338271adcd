#include "model/definition.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "model/ids.hpp"
#include "model/suggest.hpp"
#include "model/time.hpp"

namespace baton::model {

const step* definition::find_step(std::string_view id) const {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::optional<std::size_t> definition::step_index(std::string_view id) const {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].id == id) return i;
  }
  return std::nullopt;
}

const scenario* definition::find_scenario(std::string_view id) const {
  for (const auto& s : scenarios) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const std::vector<std::string>* definition::body_of(std::string_view id) const {
  for (const auto& s : steps) {
    for (const auto& body : s.branches) {
      if (std::ranges::find(body, id) != body.end()) return &body;
    }
  }
  return nullptr;
}

std::optional<std::size_t> definition::following(std::size_t index) const {
  if (index >= steps.size()) return std::nullopt;
  if (const auto* body = body_of(steps[index].id)) {
    auto at = std::ranges::find(*body, steps[index].id);
    if (at + 1 == body->end()) return std::nullopt;
    return step_index(*(at + 1));
  }
  for (auto i = index + 1; i < steps.size(); ++i) {
    if (!body_of(steps[i].id)) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> definition::first_step() const {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!body_of(steps[i].id)) return i;
  }
  return std::nullopt;
}

std::string_view to_string(step_kind k) {
  switch (k) {
    case step_kind::script:
      return "script";
    case step_kind::http:
      return "http";
    case step_kind::external:
      return "external";
    case step_kind::timer:
      return "timer";
    case step_kind::switch_:
      return "switch";
    case step_kind::fail:
      return "fail";
    case step_kind::job:
      return "job";
    case step_kind::message:
      return "message";
    case step_kind::subprocess:
      return "subprocess";
    case step_kind::parallel:
      return "parallel";
    case step_kind::for_each:
      return "forEach";
  }
  return "?";
}

std::optional<step_kind> parse_step_kind(std::string_view name) {
  for (auto k : {step_kind::script, step_kind::http, step_kind::external, step_kind::timer,
                 step_kind::switch_, step_kind::fail, step_kind::job, step_kind::message,
                 step_kind::subprocess, step_kind::parallel, step_kind::for_each}) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // Casting a double beyond int64 is undefined, and `now + duration` must not overflow:
  // refuse anything past ~285,000 years.
  auto to_ms = [](double ms) -> std::optional<std::int64_t> {
    if (!(ms <= 9e15)) return std::nullopt;
    return static_cast<std::int64_t>(ms);
  };
  auto number = [](std::string_view digits) -> std::optional<double> {
    double d{};
    auto res = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (res.ec != std::errc{} || res.ptr != digits.data() + digits.size() || digits.empty() ||
        d < 0) {
      return std::nullopt;
    }
    return d;
  };
  if (text[0] == 'P') {  // ISO-8601: PnDTnHnMnS
    double total = 0;
    bool in_time = false, any = false;
    std::size_t start = 1;
    for (std::size_t i = 1; i < text.size(); ++i) {
      char c = text[i];
      if (c == 'T') {
        if (in_time || i != start) return std::nullopt;
        in_time = true;
        start = i + 1;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') continue;
      auto n = number(text.substr(start, i - start));
      if (!n) return std::nullopt;
      double unit = 0;
      if (!in_time && c == 'D')
        unit = 86'400'000;
      else if (!in_time && c == 'W')
        unit = 7 * 86'400'000.0;
      else if (in_time && c == 'H')
        unit = 3'600'000;
      else if (in_time && c == 'M')
        unit = 60'000;
      else if (in_time && c == 'S')
        unit = 1000;
      else
        return std::nullopt;
      total += *n * unit;
      any = true;
      start = i + 1;
    }
    if (!any || start != text.size()) return std::nullopt;
    return to_ms(total);
  }
  static constexpr std::pair<std::string_view, double> units[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (auto [suffix, factor] : units) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto digits = text.substr(0, text.size() - suffix.size());
      if (!digits.empty() && std::isdigit(static_cast<unsigned char>(digits.back()))) {
        if (auto n = number(digits)) return to_ms(*n * factor);
      }
    }
  }
  return std::nullopt;
}

namespace {

class checker {
 public:
  explicit checker(const definition& def) : def_(def) {}

  std::vector<definition_problem> run() {
    if (def_.name.empty())
      add("/name", "required");
    else if (def_.name.size() > max_name_bytes)
      add("/name", too_long());
    else if (!is_valid_name(def_.name))
      add("/name", "invalid name \"" + def_.name + "\"");
    std::set<std::string, std::less<>> seen_inputs;
    for (std::size_t i = 0; i < def_.inputs.size(); ++i) {
      const auto& in = def_.inputs[i];
      auto at = "/inputs/" + in.name;
      if (in.name.size() > max_name_bytes)
        add("/inputs/" + std::to_string(i), too_long());
      else if (!is_valid_name(in.name))
        add(at, "invalid name");
      if (!seen_inputs.insert(in.name).second) add(at, "duplicate input \"" + in.name + "\"");
      if (in.default_value && !coerce(*in.default_value, in.type)) {
        add(at + "/default", "not a " + std::string(type_name(in.type)));
      }
    }
    if (def_.steps.empty()) add("/steps", "a definition needs at least one step");
    std::set<std::string, std::less<>> ids;
    for (std::size_t i = 0; i < def_.steps.size(); ++i) {
      const auto& s = def_.steps[i];
      auto at = "/steps/" + std::to_string(i);
      if (s.id.empty())
        add(at + "/id", "required");
      else if (s.id.size() > max_name_bytes)
        add(at + "/id", too_long());
      else if (!ids.insert(s.id).second)
        add(at + "/id", "duplicate step id \"" + s.id + "\"");
    }
    for (std::size_t i = 0; i < def_.steps.size(); ++i) check_step(def_.steps[i], i);
    if (problems_.empty()) {  // on a definition that reads well: its flow and its names
      check_main_targets();
      check_reachable();
      check_names();
    }
    for (std::size_t i = 0; i < def_.scenarios.size(); ++i) {
      if (def_.scenarios[i].id.size() > max_name_bytes)
        add("/scenarios/" + std::to_string(i), too_long());
      for (const auto& [step_id, canned] : def_.scenarios[i].steps) {
        auto at = "/scenarios/" + def_.scenarios[i].id + "/steps/" + step_id;
        const auto* s = def_.find_step(step_id);
        if (!s)
          add(at, "unknown step \"" + step_id + "\"");
        else if (s->kind != step_kind::http && s->kind != step_kind::external &&
                 s->kind != step_kind::job && s->kind != step_kind::message) {
          add(at, "only http, external, job and message steps take canned results");
        }
      }
    }
    return std::move(problems_);
  }

 private:
  void add(std::string pointer, std::string message) {
    problems_.push_back({std::move(pointer), std::move(message)});
  }
  static std::string too_long() {
    return "longer than " + std::to_string(max_name_bytes) + " bytes";
  }
  /// A literal instant is checked now; one with `${...}` holes can only be read at run time.
  void check_until(const std::string& at, const std::string& text) {
    if (text.find("${") != std::string::npos) return check_template(at, text);
    if (!parse_iso_instant(text, missing_offset::utc))
      add(at, "not an ISO-8601 instant: \"" + text.substr(0, max_name_bytes) +
                  "\" (use 2030-01-31T12:00:00Z or ${value})");
  }
  void check_target(const std::string& at, const std::string& target) {
    if (!target.empty() && !def_.find_step(target)) add(at, "unknown step \"" + target + "\"");
  }
  void check_template(const std::string& at, const std::string& text) {
    auto parsed = string_template::parse(text);
    if (auto* e = std::get_if<expression_error>(&parsed)) add(at, e->to_string());
  }
  void check_retry(const std::string& at, const retry_policy& r) {
    if (r.count < 0) add(at + "/count", "must be 0 or more");
    if (r.initial_ms < 0) add(at + "/initialMs", "must be 0 or more");
    if (r.max_ms < r.initial_ms) add(at + "/maxMs", "must be at least initialMs");
    if (r.jitter < 0 || r.jitter > 1) add(at + "/jitter", "must be between 0 and 1");
  }

  /// A message step's name is what `POST /api/v1/messages` names, and its correlation the
  /// key a message must carry; a step without either could never be completed by one.
  void check_message(const std::string& at, const step& s) {
    if (s.name.empty())
      add(at + "/name", "required: the message this step waits for");
    else if (s.name.size() > max_name_bytes)
      add(at + "/name", too_long());
    if (s.correlation.empty())
      add(at + "/correlation", "required: e.g. \"${orderId}\"");
    else
      check_template(at + "/correlation", s.correlation);
  }

  void check_step(const step& s, std::size_t index) {
    auto at = "/steps/" + std::to_string(index);
    if (s.name.size() > max_name_bytes) add(at + "/name", too_long());
    if (s.next) check_target(at + "/next", *s.next);
    if (s.retry) check_retry(at + "/retry", *s.retry);
    if (s.timeout_ms < 0) add(at + "/timeoutMs", "must be 0 or more");
    switch (s.kind) {
      case step_kind::script:
        for (const auto& [name, tmpl] : s.set) {
          if (!is_valid_name(name)) add(at + "/set/" + name, "invalid name");
          check_template(at + "/set/" + name, tmpl);
        }
        break;
      case step_kind::http:
        if (s.http.url.empty())
          add(at + "/http/url", "required");
        else
          check_template(at + "/http/url", s.http.url);
        for (const auto& [name, tmpl] : s.http.headers) {
          check_template(at + "/http/headers/" + name, tmpl);
        }
        if (s.http.body) check_template(at + "/http/body", *s.http.body);
        for (const auto& [name, pointer] : s.http.map) {
          if (!pointer.empty() && pointer[0] != '/') {
            add(at + "/http/map/" + name, "not a JSON pointer: \"" + pointer + "\"");
          }
        }
        for (std::size_t j = 0; j < s.http.expect.size(); ++j) {
          if (s.http.expect[j] < 100 || s.http.expect[j] > 599) {
            add(at + "/http/expect/" + std::to_string(j), "not an HTTP status");
          }
        }
        break;
      case step_kind::job:
        if (s.job_type.empty())
          add(at + "/type", "required: the kind of worker that pulls this job");
        else if (!is_valid_name(s.job_type))
          add(at + "/type", "invalid name");
        [[fallthrough]];  // a job's params are a contract, as an external step's
      case step_kind::message:
        if (s.kind == step_kind::message) check_message(at, s);
        [[fallthrough]];
      case step_kind::external:
        for (std::size_t j = 0; j < s.params.size(); ++j) {
          if (!is_valid_name(s.params[j].name)) {
            add(at + "/params/" + std::to_string(j) + "/name", "invalid name");
          }
        }
        break;
      case step_kind::timer:
        if (s.duration.empty() == s.until.empty()) {
          add(at, "a timer needs exactly one of \"duration\" and \"until\"");
        } else if (!s.duration.empty() && !parse_duration_ms(s.duration)) {
          add(at + "/duration", "not a duration: \"" + s.duration + "\" (use PT30S or 30s)");
        } else if (!s.until.empty()) {
          check_until(at + "/until", s.until);
        }
        break;
      case step_kind::switch_:
        if (s.cases.empty()) add(at + "/cases", "a switch needs at least one case");
        for (std::size_t j = 0; j < s.cases.size(); ++j) {
          auto case_at = at + "/cases/" + std::to_string(j);
          auto parsed = expression::parse(s.cases[j].when);
          if (auto* e = std::get_if<expression_error>(&parsed)) {
            add(case_at + "/when", e->to_string());
          }
          if (s.cases[j].next.empty()) add(case_at + "/next", "required");
          check_target(case_at + "/next", s.cases[j].next);
        }
        if (s.default_next) check_target(at + "/default", *s.default_next);
        break;
      case step_kind::fail:
        check_template(at + "/message", s.message);
        break;
      case step_kind::subprocess:
        if (s.child_definition.empty())
          add(at + "/definition", "required: the definition the sub-process runs");
        else if (!is_valid_name(s.child_definition))
          add(at + "/definition", "invalid name");
        if (s.child_version && *s.child_version < 1) add(at + "/version", "must be 1 or more");
        for (const auto& [name, tmpl] : s.child_values) {
          if (!is_valid_name(name)) add(at + "/values/" + name, "invalid name");
          check_template(at + "/values/" + name, tmpl);
        }
        check_map(at + "/map", s.map);
        break;
      case step_kind::parallel:
        if (s.branches.empty()) add(at + "/branches", "a parallel step needs at least one branch");
        if (s.join.k == join_rule::kind::at_least &&
            (s.join.count < 1 || s.join.count > static_cast<int>(s.branches.size()))) {
          add(at + "/join/atLeast", "must be between 1 and the number of branches (" +
                                        std::to_string(s.branches.size()) + ")");
        }
        check_bodies(at + "/branches", s);
        if (!s.merge_last) check_merge(at + "/branches", s);
        break;
      case step_kind::for_each:
        if (s.items.empty())
          add(at + "/items", "required: a list, e.g. \"${guarantors}\"");
        else
          check_template(at + "/items", s.items);
        if (s.item_name.empty())
          add(at + "/as", "required: the value each run gets its item in");
        else if (!is_valid_name(s.item_name))
          add(at + "/as", "invalid name");
        if (s.limit < 0) add(at + "/limit", "must be 0 or more");
        if (s.branches.empty()) add(at + "/steps", "required: the steps run for each item");
        check_bodies(at + "/steps", s);
        check_map(at + "/collect", s.map);
        break;
    }
  }

  void check_map(const std::string& at, const std::vector<std::pair<std::string, std::string>>& m) {
    for (const auto& [to, from] : m) {
      if (!is_valid_name(to)) add(at + "/" + to, "invalid name");
      if (!is_valid_name(from)) add(at + "/" + to, "not a value name: \"" + from + "\"");
    }
  }

  /// A body lists steps of this definition, each in one body only, none of them the step
  /// itself; its steps lead only to steps of the same body (or end it).
  void check_bodies(const std::string& at, const step& s) {
    bool each = s.kind == step_kind::for_each;
    for (std::size_t b = 0; b < s.branches.size(); ++b) {
      auto bat = each ? at : at + "/" + std::to_string(b);
      const auto& body = s.branches[b];
      if (body.empty()) add(bat, "a branch needs at least one step");
      for (std::size_t j = 0; j < body.size(); ++j) {
        auto jat = bat + "/" + std::to_string(j);
        const auto& id = body[j];
        if (id == s.id) {
          add(jat, "a step cannot run itself");
          continue;
        }
        const auto* member = def_.find_step(id);
        if (!member) {
          add(jat, "unknown step \"" + id + "\"");
          continue;
        }
        if (!owner_.emplace(id, s.id).second) {
          add(jat, "step \"" + id + "\" is already in a body of step \"" + owner_[id] + "\"");
          continue;
        }
        auto inside = [&](const std::string& target) {
          return target.empty() || std::ranges::find(body, target) != body.end();
        };
        auto outside = [&](const std::string& target) {
          add(jat, "step \"" + id + "\" leads to \"" + target +
                       "\", outside its body (a body's steps lead only to each other)");
        };
        if (member->next && !inside(*member->next)) outside(*member->next);
        for (const auto& c : member->cases) {
          if (!inside(c.next)) outside(c.next);
        }
        if (member->default_next && !inside(*member->default_next)) outside(*member->default_next);
      }
    }
  }

  /// The value names a step may set when it runs.
  void names_set_by(const step& s, std::set<std::string, std::less<>>& out, int depth = 0) const {
    for (const auto& [name, tmpl] : s.set) out.insert(name);
    for (const auto& [name, pointer] : s.http.map) out.insert(name);
    for (const auto& p : s.params) out.insert(p.name);
    for (const auto& [to, from] : s.map) out.insert(to);
    if (depth > 8) return;  // nested bodies: deep enough for any real definition
    if (s.kind == step_kind::parallel) {
      for (const auto& body : s.branches) {
        for (const auto& id : body) {
          if (const auto* inner = def_.find_step(id)) names_set_by(*inner, out, depth + 1);
        }
      }
    }
  }

  /// Values the branches set are merged at the join in branch order: two branches setting
  /// the same name would have the later one silently win, unless the definition says so.
  void check_merge(const std::string& at, const step& s) {
    std::map<std::string, std::size_t, std::less<>> first_setter;
    for (std::size_t b = 0; b < s.branches.size(); ++b) {
      std::set<std::string, std::less<>> names;
      for (const auto& id : s.branches[b]) {
        if (const auto* member = def_.find_step(id)) names_set_by(*member, names);
      }
      for (const auto& name : names) {
        auto [it, fresh] = first_setter.emplace(name, b);
        if (!fresh) {
          add(at, "branches " + std::to_string(it->second) + " and " + std::to_string(b) +
                      " both set \"" + name +
                      "\": give each its own name, or say \"merge\": \"last\"");
        }
      }
    }
  }

  /// Every step something leads to from the first: the next in its sequence (or `next`), a
  /// switch's cases and default, a parallel step's branches and a forEach's steps; a fail
  /// step and `next: ""` end the sequence.
  void check_reachable() {
    const auto n = def_.steps.size();
    std::vector<bool> reached(n, false);
    std::vector<std::size_t> todo;
    if (auto first = def_.first_step()) todo.push_back(*first);
    auto follow = [&](const std::string& target) {
      if (auto j = target.empty() ? std::nullopt : def_.step_index(target)) todo.push_back(*j);
    };
    while (!todo.empty()) {
      auto i = todo.back();
      todo.pop_back();
      if (i >= n || reached[i]) continue;
      reached[i] = true;
      const auto& s = def_.steps[i];
      for (const auto& body : s.branches) {
        if (!body.empty()) follow(body.front());
      }
      if (s.kind == step_kind::switch_) {
        for (const auto& c : s.cases) follow(c.next);
        if (s.default_next) follow(*s.default_next);
      } else if (s.kind != step_kind::fail) {
        if (s.next)
          follow(*s.next);
        else if (auto j = def_.following(i))
          todo.push_back(*j);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!reached[i]) {
        add("/steps/" + std::to_string(i),
            "step \"" + def_.steps[i].id + "\" is never reached: no step leads to it");
      }
    }
  }

  /// The main sequence never leads into a body: a body's steps run only inside their parallel
  /// or forEach step.
  void check_main_targets() {
    for (std::size_t i = 0; i < def_.steps.size(); ++i) {
      const auto& s = def_.steps[i];
      if (def_.body_of(s.id)) continue;
      auto at = "/steps/" + std::to_string(i);
      auto check = [&](const std::string& where, const std::string& target) {
        if (target.empty() || !owner_.count(target)) return;
        add(at + where, "\"" + target + "\" belongs to the body of step \"" + owner_[target] +
                            "\" and runs only there");
      };
      if (s.next) check("/next", *s.next);
      for (std::size_t j = 0; j < s.cases.size(); ++j)
        check("/cases/" + std::to_string(j) + "/next", s.cases[j].next);
      if (s.default_next) check("/default", *s.default_next);
    }
  }

  /// The `${name}`s of `text`.
  static std::vector<std::string> names_in(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t at = text.find("${"); at != std::string_view::npos;
         at = text.find("${", at + 2)) {
      auto end = text.find('}', at + 2);
      if (end == std::string_view::npos) break;
      out.emplace_back(text.substr(at + 2, end - at - 2));
    }
    return out;
  }

  /// With declared inputs (and no `extraValues`), a `${name}` must be an input, an output or
  /// a value some step sets: anything else runs as null, a typo found only at run time.
  void check_names() {
    if (def_.inputs.empty() || def_.extra_values) return;
    std::vector<std::string> known;
    for (const auto& in : def_.inputs) known.push_back(in.name);
    for (const auto& out : def_.outputs) known.push_back(out);
    for (const auto& s : def_.steps) {
      for (const auto& [name, tmpl] : s.set) known.push_back(name);
      for (const auto& [name, pointer] : s.http.map) known.push_back(name);
      for (const auto& p : s.params) known.push_back(p.name);
      for (const auto& [to, from] : s.map) known.push_back(to);
      if (!s.item_name.empty()) known.push_back(s.item_name);
    }
    auto check = [&](const std::string& at, std::string_view text) {
      for (const auto& name : names_in(text)) {
        if (std::ranges::find(known, name) != known.end()) continue;
        add(at, "${" + name + "} names no input, output or value a step sets" +
                    did_you_mean(name, known));
      }
    };
    for (std::size_t i = 0; i < def_.steps.size(); ++i) {
      const auto& s = def_.steps[i];
      auto at = "/steps/" + std::to_string(i);
      for (const auto& [name, tmpl] : s.set) check(at + "/set/" + name, tmpl);
      check(at + "/http/url", s.http.url);
      for (const auto& [name, tmpl] : s.http.headers) check(at + "/http/headers/" + name, tmpl);
      if (s.http.body) check(at + "/http/body", *s.http.body);
      for (std::size_t j = 0; j < s.cases.size(); ++j)
        check(at + "/cases/" + std::to_string(j) + "/when", s.cases[j].when);
      check(at + "/message", s.message);
      check(at + "/until", s.until);
      check(at + "/correlation", s.correlation);
      check(at + "/items", s.items);
      for (const auto& [name, tmpl] : s.child_values) check(at + "/values/" + name, tmpl);
    }
  }

  const definition& def_;
  std::vector<definition_problem> problems_;
  /// Step id → the parallel or forEach step whose body it is in.
  std::map<std::string, std::string, std::less<>> owner_;
};

}  // namespace

std::vector<definition_problem> validate(const definition& def) { return checker(def).run(); }

}  // namespace baton::model
