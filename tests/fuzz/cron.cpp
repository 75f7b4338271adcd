// Fuzzes Quartz cron parsing and next-fire computation (model/cron): an error names a field
// and points inside the text; an expression that parses yields strictly increasing fire
// times, each the next one after the one before, none outside 1970..2199. The first input
// byte picks a zone and a start instant (DST gaps and folds, the end of the zone tables, the
// end of the calendar); the rest is the expression. -timeout bounds the search per input.

#include "model/cron.hpp"

#include <date/tz.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "tests/fuzz/property.hpp"

using namespace baton::model;
using baton::fuzz::require;
using std::chrono::sys_seconds;

namespace {

constexpr std::array<std::string_view, 6> zones{"UTC",
                                                "Europe/Berlin",
                                                "America/New_York",
                                                "Australia/Lord_Howe",  // 30-minute DST
                                                "Asia/Kathmandu",       // +05:45
                                                "Pacific/Apia"};        // skipped a whole day

sys_seconds start_instant(unsigned pick) {
  using namespace date;
  constexpr std::array<sys_days, 5> days{sys_days{1970_y / 1 / 1}, sys_days{2024_y / 3 / 31},
                                         sys_days{2024_y / 10 / 27}, sys_days{2037_y / 12 / 31},
                                         sys_days{2199_y / 12 / 30}};
  return sys_seconds{days[pick % days.size()]} + std::chrono::minutes{59};
}

const std::set<std::string_view> fields{"seconds", "minutes",     "hours", "day-of-month",
                                        "month",   "day-of-week", "year",  "expression"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto* tz = find_zone(zones[data[0] % zones.size()]);
  require(tz != nullptr, "the fuzzer's zones exist");
  const auto after = start_instant(data[0] / zones.size());
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parsed = cron_expression::parse(text);
  if (auto* error = std::get_if<cron_error>(&parsed)) {
    require(error->position <= text.size(), "a cron error points inside the text", text);
    require(fields.count(error->field) == 1, "a cron error names a field", text);
    return 0;
  }
  const auto& cron = std::get<cron_expression>(parsed);
  require(cron.text() == text, "a cron expression keeps its text", text);

  // The calendar ends with wall time 2199-12-31 23:59:59, which is up to 12 hours later in UTC.
  const sys_seconds ceiling{date::sys_days{date::year{2200} / 1 / 1} + std::chrono::hours{12}};
  auto fires = cron.next_n(after, tz, 6);
  auto previous = after;
  for (auto t : fires) {
    require(t > previous, "fire times increase strictly", text);
    require(t < ceiling, "nothing fires after 2199 (wall time)", text);
    auto next = cron.next_after(previous, tz);
    require(next && *next == t, "next_n agrees with next_after", text);
    previous = t;
  }
  if (fires.size() < 6) {
    require(!cron.next_after(previous, tz), "a schedule that ended stays ended", text);
  }
  return 0;
}
