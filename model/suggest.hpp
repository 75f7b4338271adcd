#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::model {

/// The candidate a mistyped `word` most likely meant: the one fewest edits away (letters
/// inserted, removed, changed or two swapped; case ignored), if it is close enough to be a
/// typo rather than another name (at most a third of the word's letters, and 3). Ties go
/// to the earlier candidate.
std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// `; did you mean "X"?` for the nearest candidate, or nothing: for appending to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace baton::model
