#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton::model {

/// "yyyy-MM-dd HH:mm:ss" read as a wall time in the IANA zone `zone` ("" = the server's).
/// A wall time in a DST gap resolves to the instant after the gap; one that occurs twice to
/// the first. @returns ms since the epoch, or nullopt when malformed or the zone is unknown.
std::optional<std::int64_t> parse_local_time(std::string_view text, std::string_view zone);

/// An ISO-8601 instant with an offset or Z ("2026-03-29T01:30:00+01:00", "...Z").
std::optional<std::int64_t> parse_iso_instant(std::string_view text);

/// ms since the epoch as ISO-8601 in `zone`, with its offset ("2026-03-29T03:00:00+02:00").
std::string format_in_zone(std::int64_t ms, std::string_view zone);

}  // namespace baton::model
