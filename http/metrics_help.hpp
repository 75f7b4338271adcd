#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace baton::http {

/// What a metric family of Baton's measures, for its `# HELP` line; nullopt for a name it
/// does not know (a test holds every family /metrics shows to this table).
std::optional<std::string_view> metric_help(std::string_view family);

/// `text` (Prometheus exposition) with a `# HELP` line before every `# TYPE` line that has
/// none, from `metric_help`. The collectors of the engine, the store and the cluster write
/// only `# TYPE`: the help texts live here, in one place.
std::string with_help_lines(std::string text);

}  // namespace baton::http
