#include "model/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
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

namespace {

/// Reads exactly `width` digits at `at` (advancing it); nullopt when any is not a digit.
std::optional<int> digits(std::string_view text, std::size_t& at, std::size_t width) {
  if (text.size() - at < width) return std::nullopt;
  int n = 0;
  for (std::size_t end = at + width; at < end; ++at) {
    char c = text[at];
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool eat(std::string_view text, std::size_t& at, std::string_view one_of) {
  if (at >= text.size() || one_of.find(text[at]) == std::string_view::npos) return false;
  ++at;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_iso_instant(std::string_view text, missing_offset when_missing) {
  // By hand rather than with date::parse, which took "…00Zjunk", read ".123456Z" as 123 ms
  // at an offset of +4:56, and accepted offsets of 25 h.
  std::size_t at = 0;
  auto year = digits(text, at, 4);
  if (!year || !eat(text, at, "-")) return std::nullopt;
  auto month = digits(text, at, 2);
  if (!month || !eat(text, at, "-")) return std::nullopt;
  auto day = digits(text, at, 2);
  if (!day || !eat(text, at, "Tt ")) return std::nullopt;
  auto hour = digits(text, at, 2);
  if (!hour || !eat(text, at, ":")) return std::nullopt;
  auto minute = digits(text, at, 2);
  if (!minute || !eat(text, at, ":")) return std::nullopt;
  auto second = digits(text, at, 2);
  if (!second) return std::nullopt;
  std::int64_t millis = 0;
  if (eat(text, at, ".,")) {
    std::size_t first = at;
    for (int scale = 100; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
      millis += (text[at] - '0') * scale;
      scale /= 10;
    }
    if (at == first) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (at == text.size()) {
    if (when_missing == missing_offset::reject) return std::nullopt;
  } else if (!eat(text, at, "Zz")) {
    int sign = text[at] == '-' ? -1 : 1;
    if (!eat(text, at, "+-")) return std::nullopt;
    auto hours = digits(text, at, 2);
    if (!hours) return std::nullopt;
    int minutes = 0;
    if (at < text.size()) {  // ±hh:mm or ±hhmm; ±hh ends here
      eat(text, at, ":");
      auto m = digits(text, at, 2);
      if (!m) return std::nullopt;
      minutes = *m;
    }
    if (*hours > 23 || minutes > 59) return std::nullopt;
    offset_minutes = sign * (*hours * 60 + minutes);
  }
  if (at != text.size()) return std::nullopt;
  date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                           date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  std::int64_t seconds =
      days * 86'400 + *hour * 3600 + *minute * 60 + *second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

void append_iso_instant(std::string& out, std::int64_t ms) {
  // Civil date from days since 1970 (H. Hinnant's civil_from_days), digits by hand: no
  // snprintf (a few hundred ns each, and a process shows several times).
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b) < 0 ? 1 : 0); };
  auto put = [](char* at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
  };
  std::int64_t days = floor_div(ms, 86'400'000);
  std::int64_t in_day = ms - days * 86'400'000;
  // The date of the last day this thread wrote: the times of one process (created, modified,
  // due) mostly fall on one day, and the date is most of the work.
  thread_local std::int64_t dated_day = std::numeric_limits<std::int64_t>::min();
  thread_local char date_text[10];
  if (days != dated_day) {
    std::int64_t z = days + 719'468;
    std::int64_t era = floor_div(z, 146'097);
    std::int64_t doe = z - era * 146'097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
    std::int64_t y = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    if (y < 0 || y > 9999) {  // outside RFC 3339's four digits: as date.h writes it
      auto tp = date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds(ms)};
      out += date::format("%FT%TZ", tp);
      return;
    }
    put(date_text, y, 4);
    date_text[4] = '-';
    put(date_text + 5, m, 2);
    date_text[7] = '-';
    put(date_text + 8, d, 2);
    dated_day = days;
  }
  char buf[24];
  std::memcpy(buf, date_text, sizeof date_text);
  buf[10] = 'T';
  put(buf + 11, in_day / 3'600'000, 2);
  buf[13] = ':';
  put(buf + 14, in_day / 60'000 % 60, 2);
  buf[16] = ':';
  put(buf + 17, in_day / 1000 % 60, 2);
  buf[19] = '.';
  put(buf + 20, in_day % 1000, 3);
  buf[23] = 'Z';
  out.append(buf, sizeof buf);
}

std::string format_iso_instant(std::int64_t ms) {
  std::string out;
  append_iso_instant(out, ms);
  return out;
}

std::string format_in_zone(std::int64_t ms, std::string_view zone) {
  const auto* tz = find_zone(zone);
  auto tp = date::floor<std::chrono::seconds>(
      date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds(ms)});
  if (!tz) return date::format("%FT%TZ", tp);
  auto offset = utc_offset(tz, tp);
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(offset).count();
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                static_cast<int>(std::abs(minutes) / 60), static_cast<int>(std::abs(minutes) % 60));
  return date::format("%FT%T", date::local_seconds{(tp + offset).time_since_epoch()}) + suffix;
}

}  // namespace baton::model
