#pragma once

// Readers of the records that earlier releases stored as format_v1 + JSON and that are now
// stored in the binary format (record_codec.hpp). Never written any more. Private to storage/.

#include <optional>
#include <string_view>
#include <vector>

#include "model/process.hpp"

namespace baton::storage::legacy {

/// @pre `stored` begins with format_v1.
std::optional<model::process_state> read_process(std::string_view stored);
std::optional<model::callback_target> read_callback(std::string_view stored);
/// A record of one entry (an object) or of one transition's entries (an array).
bool read_history(std::string_view stored, std::vector<model::history_entry>& out);

}  // namespace baton::storage::legacy
