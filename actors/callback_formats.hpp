#pragma once

#include <functional>
#include <map>
#include <string>

#include "model/definition.hpp"
#include "model/process.hpp"

namespace baton::actors {

/// Renders a callback's body from the process as it was at the moment reported, with its
/// definition (null when that version is not deployed here). Runs on an actor thread: it must
/// not block, and what it throws drops that callback.
using callback_renderer =
    std::function<std::string(const model::process_state&, const model::definition*)>;

/// Callback body formats by name (a callback target's `format`). The "native" format, the
/// stored process JSON, is built in and needs no entry.
using callback_formats = std::map<std::string, callback_renderer, std::less<>>;

}  // namespace baton::actors
