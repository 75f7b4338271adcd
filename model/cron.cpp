// Fire times of a cron_expression. The search runs on wall-clock time, where the expression
// lives, and only the last step maps the wall time found to an instant in the zone; DST is
// handled there and nowhere else (docs/cron.md, "Daylight saving time").

#include "model/cron.hpp"

#include <date/tz.h>
// ptz.h says `using namespace date; using namespace std::chrono;` and then names hh_mm_ss,
// which C++20 makes ambiguous: give date's a name of its own while ptz.h is read.
namespace date {
template <class Duration>
using ptz_hh_mm_ss = hh_mm_ss<Duration>;
}  // namespace date
#define hh_mm_ss ptz_hh_mm_ss
#include <date/ptz.h>
#undef hh_mm_ss

#include <bit>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

namespace baton::model {

namespace {

constexpr int first_year = 1970;
constexpr int last_year = 2199;

/// The lowest set bit of `mask` at or above `from`, or -1.
template <typename T>
int next_bit(T mask, unsigned from) {
  if (from >= sizeof(T) * 8) return -1;
  const T rest = mask & static_cast<T>(~T{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

/// Quartz numbering: 1 = Sunday .. 7 = Saturday.
unsigned quartz_weekday(date::year_month_day ymd) {
  return date::weekday{date::sys_days{ymd}}.c_encoding() + 1;
}

date::local_seconds to_local(int y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s) {
  return date::local_days{date::year{y} / date::month{mo} / date::day{d}} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s};
}

/// A zone as date/tz gives it, completed for the far future. With the OS database date/tz
/// reads only the explicit transitions of each TZif file, which zic writes up to 2037, and
/// ignores the POSIX TZ rule in the file's footer that governs everything after them: without
/// this, Berlin would stay on winter time from 2038 on. Past the last transition we follow
/// that rule, as the C library and Java do.
class zone_view {
 public:
  explicit zone_view(const date::time_zone* tz) : tz_(tz), tail_(tail_of(tz)) {}

  date::sys_info info(date::sys_seconds t) const {
    return tail_ && t >= tail_->from ? tail_->rule.get_info(t) : tz_->get_info(t);
  }
  date::local_info info(date::local_seconds t) const {
    // A wall time is at most 14 h away from its instant; a day's margin keeps both sources
    // out of reach of any transition while the choice flips.
    return tail_ && t.time_since_epoch() >= tail_->from.time_since_epoch() + date::days{1}
               ? tail_->rule.get_info(t)
               : tz_->get_info(t);
  }
  date::local_seconds to_local(date::sys_seconds t) const {
    return date::local_seconds{(t + info(t).offset).time_since_epoch()};
  }

 private:
  struct tail {
    Posix::time_zone rule;
    date::sys_seconds from;  // a day after the zone's last explicit transition
  };

  /// The footer rule of `tz`, parsed once per zone; nullptr when there is none to follow.
  static const tail* tail_of(const date::time_zone* tz) {
    static std::mutex mutex;
    static std::map<const date::time_zone*, std::unique_ptr<tail>> cache;
    const std::lock_guard<std::mutex> lock(mutex);
    auto [it, fresh] = cache.try_emplace(tz);
    if (fresh) it->second = load_tail(tz);
    return it->second.get();
  }

  static std::unique_ptr<tail> load_tail(const date::time_zone* tz) {
    // Where date/tz itself reads the database from (its USE_OS_TZDB default on Linux).
    std::ifstream file("/usr/share/zoneinfo/" + std::string(tz->name()), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(file), {}};
    // TZif version 2 and later end with "\n<POSIX TZ string>\n".
    if (bytes.size() < 6 || bytes.compare(0, 4, "TZif") != 0 || bytes[4] < '2' ||
        bytes.back() != '\n')
      return nullptr;
    const auto open = bytes.rfind('\n', bytes.size() - 2);
    if (open == std::string::npos || open + 2 >= bytes.size()) return nullptr;
    const auto rule = bytes.substr(open + 1, bytes.size() - open - 2);
    const auto last = tz->get_info(date::sys_days{date::year{2500} / 1 / 1});
    try {
      return std::make_unique<tail>(tail{Posix::time_zone{rule}, last.begin + date::days{1}});
    } catch (const std::exception&) {
      // A rule ptz.h cannot read (e.g. a negative transition time): keep date/tz's answer.
      return nullptr;
    }
  }

  const date::time_zone* tz_;
  const tail* tail_;
};

/// The instant a wall time fires at: itself when it exists once, its first occurrence when
/// it exists twice, the end of the gap when a DST gap skips it.
std::chrono::sys_seconds fire_instant(date::local_seconds wall, const zone_view& zone) {
  const auto info = zone.info(wall);
  switch (info.result) {
    case date::local_info::nonexistent:
      return info.second.begin;
    case date::local_info::unique:
    case date::local_info::ambiguous:
      break;
  }
  return date::sys_seconds{wall.time_since_epoch() - info.first.offset};
}

/// The earliest wall time whose fire instant lies strictly after `after`.
date::local_seconds first_wall_after(std::chrono::sys_seconds after, const zone_view& zone) {
  const auto wall = zone.to_local(after);
  const auto info = zone.info(wall);
  if (info.result == date::local_info::ambiguous && after >= info.second.begin) {
    // `after` is the second occurrence of its wall time: every wall time up to the end of
    // the overlap already fired at its first occurrence, before `after`.
    return date::local_seconds{(info.first.end + info.first.offset).time_since_epoch()};
  }
  return wall + std::chrono::seconds{1};
}

const date::time_zone* utc_zone() {
  static const date::time_zone* utc = date::locate_zone("Etc/UTC");
  return utc;
}

}  // namespace

std::uint32_t cron_expression::day_mask(int year, unsigned month) const {
  const date::year_month ym{date::year{year}, date::month{month}};
  const auto last = static_cast<unsigned>(date::year_month_day_last{ym / date::last}.day());
  const unsigned first_weekday = quartz_weekday(ym / 1);
  const auto weekday_of = [&](unsigned day) { return (first_weekday - 1 + day - 1) % 7 + 1; };
  // Quartz's 'W': a Saturday moves to Friday, a Sunday to Monday, but never out of the month.
  const auto nearest_weekday = [&](unsigned day) {
    const unsigned wd = weekday_of(day);
    if (wd == 7) return day == 1 ? day + 2 : day - 1;
    if (wd == 1) return day == last ? day - 2 : day + 1;
    return day;
  };
  const std::uint32_t in_month = static_cast<std::uint32_t>((std::uint64_t{1} << (last + 1)) - 2);
  switch (day_rule_) {
    case day_rule::month_days:
      return days_of_month_ & in_month;
    case day_rule::last_day:
      return day_arg_ < last ? std::uint32_t{1} << (last - day_arg_) : 0;
    case day_rule::last_weekday:
      return day_arg_ < last ? std::uint32_t{1} << nearest_weekday(last - day_arg_) : 0;
    case day_rule::nearest_weekday:
      return day_arg_ <= last ? std::uint32_t{1} << nearest_weekday(day_arg_) : 0;
    case day_rule::week_days: {
      std::uint32_t mask = 0;
      for (unsigned day = 1; day <= last; ++day)
        if (days_of_week_ & (1u << weekday_of(day))) mask |= std::uint32_t{1} << day;
      return mask;
    }
    case day_rule::last_of_week_day: {
      unsigned day = last;
      while (weekday_of(day) != day_arg_) --day;
      return std::uint32_t{1} << day;
    }
    case day_rule::nth_of_week_day: {
      const unsigned first = 1 + (day_arg_ + 7 - first_weekday) % 7;
      const unsigned day = first + 7 * (nth_ - 1u);
      return day <= last ? std::uint32_t{1} << day : 0;
    }
  }
  return 0;
}

std::optional<cron_expression::local_time> cron_expression::next_match(local_time from) const {
  if (from.year < first_year) from = {first_year, 1, 1, 0, 0, 0};
  for (int y = from.year; y <= last_year; ++y) {
    const int bit = y - first_year;
    if (!(years_[bit / 64] >> (bit % 64) & 1)) continue;
    const bool start_year = y == from.year;
    for (unsigned mo = start_year ? from.month : 1; mo <= 12; ++mo) {
      if (!(months_ >> mo & 1)) continue;
      const bool start_month = start_year && mo == from.month;
      const std::uint32_t days = day_mask(y, mo);
      for (int d = next_bit(days, start_month ? from.day : 1); d != -1;
           d = next_bit(days, d + 1u)) {
        const auto day = static_cast<unsigned>(d);
        if (!start_month || day != from.day) {
          // A later day than the start: its first matching second.
          return local_time{y,
                            mo,
                            day,
                            static_cast<unsigned>(next_bit(hours_, 0)),
                            static_cast<unsigned>(next_bit(minutes_, 0)),
                            static_cast<unsigned>(next_bit(seconds_, 0))};
        }
        // The start day itself: the first matching second at or after the start time.
        for (int h = next_bit(hours_, from.hour); h != -1; h = next_bit(hours_, h + 1u)) {
          const bool start_hour = static_cast<unsigned>(h) == from.hour;
          for (int mi = next_bit(minutes_, start_hour ? from.minute : 0); mi != -1;
               mi = next_bit(minutes_, mi + 1u)) {
            const bool start_minute = start_hour && static_cast<unsigned>(mi) == from.minute;
            const int s = next_bit(seconds_, start_minute ? from.second : 0);
            if (s != -1)
              return local_time{y,
                                mo,
                                day,
                                static_cast<unsigned>(h),
                                static_cast<unsigned>(mi),
                                static_cast<unsigned>(s)};
          }
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::sys_seconds> cron_expression::next_after(
    std::chrono::sys_seconds after, const date::time_zone* tz) const {
  using namespace std::chrono;
  if (tz == nullptr) tz = utc_zone();
  // Keep far-off instants away from the zone's arithmetic; nothing fires outside 1970-2199.
  constexpr sys_seconds floor{sys_days{year{first_year - 1} / 1 / 1}};
  constexpr sys_seconds ceiling{sys_days{year{last_year + 1} / 1 / 2}};
  if (after >= ceiling) return std::nullopt;
  after = std::max(after, floor);

  const zone_view zone(tz);
  const auto wall = first_wall_after(after, zone);
  const auto day = date::floor<date::days>(wall);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> tod{wall - day};
  const auto found = next_match(
      {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
       static_cast<unsigned>(ymd.day()), static_cast<unsigned>(tod.hours().count()),
       static_cast<unsigned>(tod.minutes().count()), static_cast<unsigned>(tod.seconds().count())});
  if (!found) return std::nullopt;
  return fire_instant(
      to_local(found->year, found->month, found->day, found->hour, found->minute, found->second),
      zone);
}

std::vector<std::chrono::sys_seconds> cron_expression::next_n(std::chrono::sys_seconds after,
                                                              const date::time_zone* tz,
                                                              std::size_t n) const {
  std::vector<std::chrono::sys_seconds> out;
  out.reserve(std::min<std::size_t>(n, 1024));
  while (out.size() < n) {
    const auto next = next_after(out.empty() ? after : out.back(), tz);
    if (!next) break;
    out.push_back(*next);
  }
  return out;
}

std::chrono::seconds utc_offset(const date::time_zone* tz, std::chrono::sys_seconds t) {
  return zone_view(tz).info(date::sys_seconds{t.time_since_epoch()}).offset;
}

const date::time_zone* find_zone(std::string_view name) {
  try {
    if (name.empty()) {
      try {
        return date::current_zone();
      } catch (const std::exception&) {
        // No /etc/localtime: the C library reads such a machine as UTC, so do we.
        return utc_zone();
      }
    }
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace baton::model
