#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/process.hpp"
#include "storage/format.hpp"

namespace baton::storage {

// Process snapshots, history and callback targets as stored: format_v2 + the record through
// caf::binary_serializer (storage/inspect.hpp). The decoders also read the format_v1 JSON that
// earlier releases wrote, so a data folder of theirs opens as it is; a record is rewritten in
// the binary format the next time it changes.

/// Whether `stored` is a record in the JSON format of an earlier release.
inline bool is_legacy_record(std::string_view stored) {
  return !stored.empty() && stored[0] == format_v1;
}

std::string encode_process(const model::process_state& p);
/// nullopt for an unknown format or a record that does not decode.
std::optional<model::process_state> decode_process(std::string_view stored);
/// The same into `out`, a fresh process_state, without moving the result: a process is some
/// 40 strings and vectors, and the two moves of the form above cost 1.8k instructions, a
/// tenth of a first status read. @returns false as the form above returns nullopt. (A name of
/// its own: the form above is passed as a function, to the fuzzers' round trip for one.)
[[nodiscard]] bool decode_process_into(std::string_view stored, model::process_state& out);

/// One stored record for the history entries of one transition, in the order given.
std::string encode_history_run(const std::vector<const model::history_entry*>& entries);
/// Appends the entries of one stored history record to `out`.
/// @returns false when the record does not decode (then `out` is left as it was).
[[nodiscard]] bool decode_history_record(std::string_view stored,
                                         std::vector<model::history_entry>& out);

/// A process' callback target (kept apart from the snapshot: headers are secret).
std::string encode_callback(const model::callback_target& c);
std::optional<model::callback_target> decode_callback(std::string_view stored);

}  // namespace baton::storage
