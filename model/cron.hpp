#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// <date/tz.h> is heavy and this header is included widely: callers that need more than a
// pointer to a zone include it themselves.
namespace date {
class time_zone;
}  // namespace date

namespace baton::model {

/// Why a cron expression was rejected.
struct cron_error {
  /// The field at fault: "seconds", "minutes", "hours", "day-of-month", "month",
  /// "day-of-week", "year", or "expression" when no single field is.
  std::string field;
  /// 0-based character offset into the text given to `cron_expression::parse`.
  std::size_t position = 0;
  /// What is wrong, e.g. `unknown name "FR"`.
  std::string message;

  /// `<field>: <message> at position <position>`, e.g.
  /// `day-of-week: unknown name "FR" at position 10`.
  std::string to_string() const;
};

/// A Quartz 2.3 `CronExpression`: `seconds minutes hours day-of-month month day-of-week [year]`
/// with `* ? , - / L W LW # L-n nL`, names in any case and 1 = Sunday. Every expression this
/// accepts, Quartz accepts with the same meaning; it rejects some that Quartz accepts but reads
/// differently from how they are written (see docs/cron.md). Immutable and cheap to copy;
/// safe to share between threads.
class cron_expression {
 public:
  /// Parses Quartz syntax; on failure returns the first error, naming field and position.
  static std::variant<cron_expression, cron_error> parse(std::string_view text);

  /// The first fire time strictly after `after`, with wall times read in `tz`; nullopt if
  /// there is none up to the end of 2199. A wall time skipped by a DST gap fires at the end
  /// of the gap (once, however many skipped wall times match); a wall time that occurs twice
  /// fires at its first occurrence only.
  /// @pre `tz` is not null (a null zone is read as UTC).
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds after,
                                                     const date::time_zone* tz) const;

  /// Up to `n` consecutive fire times after `after`; fewer when the schedule ends.
  std::vector<std::chrono::sys_seconds> next_n(std::chrono::sys_seconds after,
                                               const date::time_zone* tz, std::size_t n) const;

  /// The text as given to `parse`.
  const std::string& text() const { return text_; }

 private:
  /// How days are chosen: by day-of-month (day-of-week is '?') or by day-of-week.
  enum class day_rule : std::uint8_t {
    month_days,        ///< day-of-month values in `days_of_month_`
    last_day,          ///< `L`, `L-n`: the last day minus `day_arg_`
    last_weekday,      ///< `LW`, `L-nW`: the weekday nearest the last day minus `day_arg_`
    nearest_weekday,   ///< `nW`: the weekday nearest day `day_arg_`
    week_days,         ///< day-of-week values in `days_of_week_`
    last_of_week_day,  ///< `nL`: the last weekday `day_arg_` of the month
    nth_of_week_day,   ///< `n#k`: the `nth_` weekday `day_arg_` of the month
  };

  struct local_time {
    int year;
    unsigned month, day, hour, minute, second;
  };

  cron_expression() = default;

  /// Bit d is set when day d of the month fires.
  std::uint32_t day_mask(int year, unsigned month) const;
  /// The first wall time at or after `from` that the expression matches.
  std::optional<local_time> next_match(local_time from) const;

  std::string text_;
  std::uint64_t seconds_ = 0;             // bit 0..59
  std::uint64_t minutes_ = 0;             // bit 0..59
  std::uint32_t hours_ = 0;               // bit 0..23
  std::uint32_t days_of_month_ = 0;       // bit 1..31
  std::uint16_t months_ = 0;              // bit 1..12
  std::uint8_t days_of_week_ = 0;         // bit 1..7, 1 = Sunday
  std::array<std::uint64_t, 4> years_{};  // bit y - 1970, for 1970..2199
  day_rule day_rule_ = day_rule::month_days;
  std::uint8_t day_arg_ = 0;
  std::uint8_t nth_ = 0;
};

/// The UTC offset of `tz` at `t`. With the OS database date/tz knows only the transitions
/// written out in the files, up to 2037, and answers with the last offset forever after; this
/// follows the zone's rule past them too, as next_after does. Use it to show fire times.
/// @pre `tz` is not null.
std::chrono::seconds utc_offset(const date::time_zone* tz, std::chrono::sys_seconds t);

/// Looks up an IANA zone; nullptr when unknown ("" means the machine's local zone, or UTC when
/// the machine has none configured).
const date::time_zone* find_zone(std::string_view name);

}  // namespace baton::model
