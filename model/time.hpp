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

/// What an ISO-8601 instant without an offset means.
enum class missing_offset : std::uint8_t {
  reject,  ///< the API asks for an instant "with offset" (schedules, cron/next, list filters)
  utc,     ///< read as UTC: what a timer step's `until` has always accepted
};

/// The one ISO-8601 (RFC 3339) instant reader:
///   `yyyy-MM-dd` `T`|`t`|` ` `HH:mm:ss` [`.`|`,` digits] (`Z`|`z`|`±hh:mm`|`±hhmm`|`±hh`)
/// e.g. "2026-03-29T01:30:00+01:00", "2026-03-29T00:30:00.250Z". Fields have their full
/// width; a fraction is kept to the ms (further digits dropped, never rounded up); offsets are
/// under 24 h. The whole text must match: no spaces around it, nothing after it. Dates and
/// times that do not exist (02-30, 24:00:00, a 60th second) are refused.
/// @returns ms since the epoch, or nullopt when malformed (or without offset under `reject`).
std::optional<std::int64_t> parse_iso_instant(std::string_view text,
                                              missing_offset when_missing = missing_offset::reject);

/// ms since the epoch as ISO-8601 UTC with milliseconds: "2026-11-22T10:00:00.000Z"; what
/// every API answer and callback shows. `parse_iso_instant` reads it back exactly.
/// Appends `format_iso_instant(ms)` to `out` without a temporary: the API shows an RFC 3339
/// time beside every epoch-ms field, several per process, on the hot read path.
void append_iso_instant(std::string& out, std::int64_t ms);
std::string format_iso_instant(std::int64_t ms);

/// ms since the epoch as ISO-8601 in `zone`, with its offset ("2026-03-29T03:00:00+02:00").
std::string format_in_zone(std::int64_t ms, std::string_view zone);

}  // namespace baton::model
