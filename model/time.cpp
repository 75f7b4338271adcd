#include "model/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "model/cron.hpp"

namespace baton::model {

std::optional<std::int64_t> parse_local_time(std::string_view text, std::string_view zone) {
  const auto* tz = find_zone(zone);
  if (!tz) return std::nullopt;
  std::istringstream in{std::string(text)};
  date::local_seconds local;
  in >> date::parse("%Y-%m-%d %H:%M:%S", local);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  // Offsets from utc_offset (which knows the rules past 2037): the wall time is valid at
  // `local - offset` when that instant has that offset. Two valid: the earlier (first
  // occurrence). None: a DST gap, resolved to the instant the gap ends.
  using std::chrono::sys_seconds;
  sys_seconds as_utc{local.time_since_epoch()};
  auto before = utc_offset(tz, as_utc - std::chrono::hours(30));
  auto after = utc_offset(tz, as_utc + std::chrono::hours(30));
  std::optional<sys_seconds> best;
  for (auto off : {before, after}) {
    auto candidate = as_utc - off;
    if (utc_offset(tz, candidate) == off && (!best || candidate < *best)) best = candidate;
  }
  if (!best) {
    auto lo = as_utc - after, hi = as_utc - before;  // the transition lies between
    if (lo > hi) std::swap(lo, hi);
    auto start_offset = utc_offset(tz, lo);
    while (hi - lo > std::chrono::seconds(1)) {
      auto mid = lo + (hi - lo) / 2;
      (utc_offset(tz, mid) == start_offset ? lo : hi) = mid;
    }
    best = hi;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(best->time_since_epoch()).count();
}

std::optional<std::int64_t> parse_iso_instant(std::string_view text) {
  for (const char* format : {"%FT%T%Ez", "%FT%TZ"}) {
    std::istringstream in{std::string(text)};
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(format, tp);
    if (!in.fail()) return tp.time_since_epoch().count();
  }
  return std::nullopt;
}

std::string format_in_zone(std::int64_t ms, std::string_view zone) {
  const auto* tz = find_zone(zone);
  auto tp = date::sys_seconds{std::chrono::seconds(ms / 1000)};
  if (!tz) return date::format("%FT%TZ", tp);
  auto offset = utc_offset(tz, tp);
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(offset).count();
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                static_cast<int>(std::abs(minutes) / 60), static_cast<int>(std::abs(minutes) % 60));
  return date::format("%FT%T", date::local_seconds{(tp + offset).time_since_epoch()}) + suffix;
}

}  // namespace baton::model
