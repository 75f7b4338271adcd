#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/backoff.hpp"
#include "model/expression.hpp"
#include "model/value.hpp"

namespace baton::model {

/// Stored as its number in snapshots: a new kind goes last.
enum class step_kind : std::uint8_t {
  script,
  http,
  external,
  timer,
  switch_,
  fail,
  job,
  message,
  subprocess,
  parallel,
  for_each,
};

/// How often and how patiently a failing step is tried again.
struct retry_policy {
  int count = 0;  ///< retries after the first attempt
  backoff_kind backoff = backoff_kind::fixed;
  std::int64_t initial_ms = 1000;
  std::int64_t max_ms = 60'000;
  double jitter = 0;  ///< 0..1: fraction of the delay drawn at random
  bool operator==(const retry_policy&) const = default;
};

struct input_decl {
  std::string name;
  value_type type = value_type::string;
  bool required = false;
  std::optional<value> default_value;
  bool operator==(const input_decl&) const = default;
};

/// A parameter an external step expects in complete-step, or a job step in its completion.
struct param_decl {
  std::string name;
  value_type type = value_type::string;
  bool required = true;
  bool operator==(const param_decl&) const = default;
};

struct http_spec {
  std::string method = "POST";
  std::string url;                                           ///< template
  std::vector<std::pair<std::string, std::string>> headers;  ///< value templates
  std::optional<std::string> body;  ///< JSON text with ${name} holes, rendered as JSON values
  std::vector<int> expect;          ///< accepted statuses; empty: any 2xx
  std::vector<std::pair<std::string, std::string>> map;  ///< value name → JSON pointer
  bool operator==(const http_spec&) const = default;
};

/// When a parallel step joins: once every branch ended (`all`), or once `count` of them
/// succeeded (`any` is 1, `atLeast` n); the branches still running are then cancelled.
struct join_rule {
  enum class kind : std::uint8_t { all, any, at_least } k = kind::all;
  int count = 0;  ///< at_least: how many branches must succeed
  bool operator==(const join_rule&) const = default;
};

struct switch_case {
  std::string when;  ///< condition expression
  std::string next;
  bool operator==(const switch_case&) const = default;
};

/// One step of a definition. Fields apply by kind; the rest stay empty.
struct step {
  std::string id;
  std::string name;  ///< human label, defaults to id; message: the message it waits for
  step_kind kind = step_kind::script;
  std::optional<std::string> next;  ///< default: the following step; "" ends the process
  std::optional<retry_policy> retry;
  std::int64_t timeout_ms = 0;  ///< http: call timeout; external, job, message: wait limit; 0: none

  std::vector<std::pair<std::string, std::string>> set;  ///< script: name → template
  http_spec http;
  std::vector<param_decl> params;           ///< external, job, message: the typed result contract
  std::string correlation;                  ///< message: template rendered when the step starts
  std::string job_type;                     ///< job: the kind of worker that pulls it (`type`)
  std::string duration;                     ///< timer: "PT30S", "30s", "500ms"
  std::string until;                        ///< timer: template of an ISO-8601 instant
  std::vector<switch_case> cases;           ///< switch
  std::optional<std::string> default_next;  ///< switch: when no case matches
  std::string message;                      ///< fail: template

  // Steps that run other processes and wait for them (children, see model/process.hpp).
  std::string child_definition;               ///< subprocess: the definition it starts
  std::optional<std::int64_t> child_version;  ///< subprocess: that version; default the latest
  std::vector<std::pair<std::string, std::string>> child_values;  ///< subprocess: name → template
  /// subprocess `map`: parent value ← the child's value of that name; forEach `collect`:
  /// parent value ← the list of each item's value of that name, in item order.
  std::vector<std::pair<std::string, std::string>> map;
  /// parallel: the step ids of each branch; forEach: one, its `steps`. A step listed here
  /// belongs to that body and not to the main sequence.
  std::vector<std::vector<std::string>> branches;
  join_rule join;                    ///< parallel
  bool continue_on_failure = false;  ///< parallel `onBranchFailure: "continue"`
  bool merge_last = false;           ///< parallel `merge: "last"`: a later branch's value wins
  std::string items;                 ///< forEach: template of a JSON list
  std::string item_name;             ///< forEach `as`: the value each item run gets its item in
  bool in_parallel = false;          ///< forEach `parallel`
  int limit = 0;                     ///< forEach: at most this many items at once; 0: all
  bool operator==(const step&) const = default;
};

/// Canned behaviour for one step in a sandbox scenario.
struct scenario_step {
  values outputs;                   ///< http: values as if mapped from the answer
  std::optional<std::string> fail;  ///< the step fails with this message
  std::optional<values> complete;   ///< external, message: completed at once with these params
  bool operator==(const scenario_step&) const = default;
};

struct scenario {
  std::string id;
  std::map<std::string, scenario_step, std::less<>> steps;
  bool operator==(const scenario&) const = default;
};

/// A named, versioned process model.
struct definition {
  std::string name;
  std::string id;  ///< 24 hex digits, stable per name
  std::int64_t version = 1;
  std::string description;
  std::vector<input_decl> inputs;
  std::vector<std::string> outputs;
  std::vector<step> steps;
  std::vector<scenario> scenarios;
  bool requires_scenario = false;  ///< sandbox runs must name a scenario
  /// A native start may give values no input declares (`extraValues`); otherwise, when the
  /// definition declares inputs, such a value is refused as a likely typo.
  bool extra_values = false;
  std::string source;  ///< the JSON it was deployed from

  const step* find_step(std::string_view id) const;
  std::optional<std::size_t> step_index(std::string_view id) const;
  const scenario* find_scenario(std::string_view id) const;
  /// The body (a parallel step's branch, a forEach's steps) that step `id` belongs to; null
  /// for a step of the main sequence.
  const std::vector<std::string>* body_of(std::string_view id) const;
  /// Where a step without `next` leads: in a body, the next step listed there; in the main
  /// sequence, the next step in order that belongs to no body. nullopt: the end.
  std::optional<std::size_t> following(std::size_t index) const;
  /// The first step of the main sequence; nullopt for a definition without one.
  std::optional<std::size_t> first_step() const;
  bool operator==(const definition&) const = default;
};

/// A definition name retired from new starts: processes already running keep their version,
/// and deploying the name again brings it back.
struct retirement {
  std::int64_t at_ms = 0;
  std::string by;  ///< the client that retired it
  bool operator==(const retirement&) const = default;
};

/// One problem found in a definition, located by JSON pointer.
struct definition_problem {
  std::string pointer;  ///< e.g. "/steps/2/next"
  std::string message;  ///< e.g. "unknown step \"notfy\""
  std::string to_string() const { return pointer + ": " + message; }
  bool operator==(const definition_problem&) const = default;
};

/// Semantic checks (every problem, not just the first): unique step ids, targets of
/// next/switch exist, expressions and templates parse, timers parse, http has a url,
/// external params are typed, scenarios name real steps.
std::vector<definition_problem> validate(const definition& def);

/// Parses "PT30S", "PT1H30M", "P1D", "30s", "500ms", "5m", "2h" into milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

std::string_view to_string(step_kind k);
std::optional<step_kind> parse_step_kind(std::string_view name);

}  // namespace baton::model
