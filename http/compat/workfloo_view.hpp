#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/definition.hpp"
#include "model/process.hpp"

namespace baton::http::compat::workfloo {

/// How a workfloo client sees a process: the status and node vocabulary of its API.
/// Pure functions of the process, its definition (null when its version is gone) and now.

/// PENDING (queued) · IN_PROGRESS · FINISHED · ERROR · CANCELLED.
std::string_view status_name(model::process_status s);
/// A workfloo status name, or a native one (SUCCEEDED…), case-insensitive.
std::optional<model::process_status> parse_status(std::string_view name);

/// The execution's number beside its hex id: 40 bits of its creation time (ms since
/// 2020-01-01) and the low 13 bits of its per-node sequence. It fits a JSON number exactly
/// and differs between any two executions of one node unless 8,192 start in one millisecond.
std::int64_t number_of(std::string_view process_id);

/// `{id, idUnykoo, name, status, currentNodeId, currentNodeName, currentNodeType}` plus
/// `form` (the fields a waiting form step expects), `timer` (`endWaitDate`,
/// `remainingTime` in ms), `error`, and `sandbox`/`scenarioId` for sandbox executions.
/// `extra` (already JSON, starting with a comma) is appended before the closing brace.
std::string status_json(const model::process_state& p, const model::definition* def,
                        std::int64_t now_ms, std::string_view extra = {});

/// The status document with `created`/`modified`: one item of a listing.
std::string list_item_json(const model::process_state& p, const model::definition* def,
                           std::int64_t now_ms);

/// The status document with the definition's id, the values, outputs and every node
/// (step execution): `{id, name, type, status, created, modified, variables}`.
std::string execution_json(const model::process_state& p, const model::definition* def,
                           std::int64_t now_ms);

/// The CSV header line and one line per execution (RFC 4180 quoting, CRLF line ends).
std::string_view csv_header();
std::string csv_line(const model::process_state& p, const model::definition* def);

}  // namespace baton::http::compat::workfloo
