#pragma once

#include <string>
#include <vector>

#include "model/process.hpp"

namespace baton::http {

/// A process as the native API shows it (GET /api/v1/processes/{id}, start and command
/// answers, native callbacks). The shape is the public API: members in this order, optional
/// ones only when set. Earlier releases stored exactly these bytes behind a format byte.
std::string process_json(const model::process_state& p);
/// Appends `process_json(p)` to `out`.
void append_process_json(std::string& out, const model::process_state& p);

/// A process' history as a JSON array of {"seq","atMs","type","processStepId"?,"detail"?}.
std::string history_json(const std::vector<model::history_entry>& entries);

}  // namespace baton::http
