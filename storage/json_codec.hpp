#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/definition.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "model/value.hpp"
#include "storage/format.hpp"

namespace baton::storage {

/// The JSON part of a format_v1 record (drops the format byte).
std::string_view json_of(std::string_view stored);

/// Parses a definition document; on failure every structural problem, by JSON pointer.
/// Semantic validation (model::validate) runs too, so a returned definition is deployable.
std::variant<model::definition, std::vector<model::definition_problem>> parse_definition(
    std::string_view json);

/// Stored definition: format byte + {"version":N,"id":..,"source":{...}}.
std::string encode_definition(const model::definition& d);
std::optional<model::definition> decode_definition(std::string_view stored);
/// The API view of a definition: its source with name, id and version.
std::string definition_json(const model::definition& d);
/// Stored retirement of a definition name: format byte + {"atMs":N,"by":".."}.
std::string encode_retirement(const model::retirement& r);
std::optional<model::retirement> decode_retirement(std::string_view stored);

/// A schedule with its runs: format byte + the JSON the API shows. Schedules were stored so
/// before their runs had records of their own, and `decode_schedule` still reads that.
std::string encode_schedule(const model::schedule& s);
/// A schedule's own record: as `encode_schedule`, without the runs (stored apart).
std::string encode_schedule_record(const model::schedule& s);
std::optional<model::schedule> decode_schedule(std::string_view stored);

/// A schedule's state after a fire, stored in the fire's run record: a batched fire moves
/// its schedule on without rewriting the schedule's record.
struct schedule_advance {
  std::int64_t next_fire_ms = 0;
  model::schedule_status status = model::schedule_status::active;
};
/// One run of a schedule as stored: format byte + {"fireMs", "processId"?, "note"?} as in
/// the schedule's "runs", plus "nextFireMs" and "status" when it carries an `advance`.
std::string encode_schedule_run(const model::schedule_run& r, const schedule_advance* advance);
struct stored_schedule_run {
  model::schedule_run run;
  std::optional<schedule_advance> advance;
};
std::optional<stored_schedule_run> decode_schedule_run(std::string_view stored);

/// A process' recovery need as kept in its active marker: format byte +
/// "<kind><due ms>|<processStepId>|<scope>", kind one of n q t r h (none, queued, timer,
/// retry, reissue). Text, so that `baton db dump` shows it; the scope goes last and may hold '|'.
std::string encode_recovery_need(const model::recovery_need& need);
/// nullopt for an empty marker (written before needs were kept) or a malformed one.
std::optional<model::recovery_need> decode_recovery_need(std::string_view stored);

/// Parses a JSON object of values ({"a": 1, "b": "x", "c": {...}}); duplicate keys: last wins.
/// @returns the values, or an error naming the offending key.
std::variant<model::values, std::string> parse_values(std::string_view json_object);

/// Writes values as a JSON object.
void append_values(std::string& out, const model::values& vals);

/// Looks up a JSON pointer ("/data/price") in a JSON document.
std::optional<model::value> value_at_pointer(std::string_view json, std::string_view pointer);

}  // namespace baton::storage
