#pragma once

#include <string>
#include <string_view>

#include "actors/engine.hpp"
#include "http/auth/clients.hpp"
#include "http/engine_errors.hpp"
#include "http/problem.hpp"
#include "storage/process_store.hpp"

/// Who may see and touch which process: shared by every native handler that names one.
namespace baton::http {

/// Whether `who` may touch every process, whatever its definition: one of its globs is a
/// bare `*`. (Matching the text "*" against its globs would also let `?` pass.)
bool may_touch_any(const auth::client& who);

/// Whether `who` may touch a process of definition `definition`.
bool may_touch(const auth::client& who, std::string_view definition);
/// Whether `who` may touch process `p` (by its definition's name).
bool may_touch(const auth::client& who, const model::process_state& p);

/// The execution `step` names in `p`: a processStepId, or a definition step id meaning the
/// execution of that step that is active now (or, when another one is, the latest one);
/// null when it names none.
const model::step_execution* named_execution(const model::process_state& p, std::string_view step);

/// The native API's 403 for a definition outside the client's globs.
response forbidden_definition(std::string_view name);

/// The native API's 404 (or 403) for a process id, naming the `id` parameter.
response native_format(beast_http::status s, std::string message);

/// The 404 for process `id`, in `format`: unknown, or outside the client's globs (the two
/// answer alike, so that ids cannot be probed for existence).
template <class Format>
response unknown_process(Format format, std::string_view id) {
  return format(beast_http::status::not_found, "unknown process \"" + std::string(id) + "\"");
}

/// Runs `next(process_state)` when `who` may touch process `id`; 404 otherwise, in `format`.
/// A process of a definition outside the client's globs answers exactly as an unknown one,
/// so that ids cannot be probed for existence.
template <class Format, class Next>
void with_process_access(actors::engine& engine, const auth::client& who, std::string_view id,
                         responder& respond, Format format, Next next) {
  auto stored = engine.store().load_process(id);
  if (!stored.ok()) return respond(storage_problem(stored.error(), "reading a process"));
  auto& p = stored.value();
  if (!p || !may_touch(who, *p)) return respond(unknown_process(format, id));
  next(std::move(*p));
}

}  // namespace baton::http
