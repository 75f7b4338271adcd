// Differential test against Quartz 2.3 itself: generated expressions and instants go to
// tests/quartz/QuartzOracle.java (run by `java` in single-file source mode on the Debian
// libquartz2-java jar) and every next fire time must agree with cron_expression's, except
// where docs/cron.md says they differ on purpose:
//   - DST: near an offset transition Quartz skips, shifts or repeats fire times; there we
//     follow our own policy, so a disagreement within a day of a transition is not a failure
//     (it is counted, and the unit tests pin our behaviour there);
//   - years after Quartz's MAX_YEAR (this year + 100), where Quartz returns null;
//   - text that Quartz reads differently from how it is written, which we reject (checked: an
//     expression we accept, Quartz accepts).

#include <date/tz.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/cron.hpp"

namespace {

using baton::model::cron_error;
using baton::model::cron_expression;
using std::chrono::sys_seconds;

namespace fs = std::filesystem;

constexpr const char* quartz_jar = "/usr/share/java/quartz2.jar";

bool have_java() {
  return std::system("command -v java >/dev/null 2>&1") == 0 && fs::exists(quartz_jar);
}

/// Deterministic generator of expressions and instants.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  int uni(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }
  bool chance(int percent) { return uni(1, 100) <= percent; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(uni(0, static_cast<int>(v.size()) - 1))];
  }

  /// A value of [lo, hi], biased to the edges where the bugs live.
  int value(int lo, int hi) {
    if (chance(30))
      return chance(50) ? lo + uni(0, std::min(2, hi - lo)) : hi - uni(0, std::min(3, hi - lo));
    return uni(lo, hi);
  }

  std::string number_item(int lo, int hi, int max_step) {
    const int a = value(lo, hi);
    const int b = value(lo, hi);
    const int step = chance(70) ? uni(1, std::min(max_step, (hi - lo) / 2 + 1)) : uni(1, max_step);
    switch (uni(0, 7)) {
      case 0:
        return "*";
      case 1:
        return "*/" + std::to_string(step);
      case 2:
        return std::to_string(a) + "/" + std::to_string(step);
      case 3:
        return std::to_string(std::min(a, b)) + "-" + std::to_string(std::max(a, b));
      case 4:
        return std::to_string(std::min(a, b)) + "-" + std::to_string(std::max(a, b)) + "/" +
               std::to_string(step);
      case 5:  // wraps around the end of the field
        return std::to_string(std::max(a, b)) + "-" + std::to_string(std::min(a, b)) +
               (chance(30) ? "/" + std::to_string(step) : "");
      default:
        return std::to_string(a);
    }
  }

  std::string number_field(int lo, int hi, int max_step) {
    std::string out = number_item(lo, hi, max_step);
    if (chance(25)) {
      for (int n = uni(1, 2); n > 0; --n)
        out += "," + (chance(60) ? std::to_string(value(lo, hi)) : number_item(lo, hi, max_step));
    }
    return out;
  }

  std::string time_field(int hi) {
    // Mostly sparse, sometimes dense: dense schedules probe the DST and minute edges.
    if (chance(45)) return std::to_string(chance(60) ? 0 : value(0, hi));
    return number_field(0, hi, hi);
  }

  std::string name(std::string s) {
    const int style = uni(0, 2);  // Quartz reads names in any case
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (style == 1 || (style == 2 && i > 0)) s[i] = static_cast<char>(s[i] - 'A' + 'a');
    }
    return s;
  }

  std::string month_field() {
    static const std::vector<std::string> names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    if (chance(50)) return "*";
    if (chance(40)) {
      const int a = uni(0, 11);
      const int b = uni(0, 11);
      switch (uni(0, 2)) {
        case 0:
          return name(names[a]);
        case 1:
          return name(names[a]) + "-" + name(names[b]);  // may wrap: NOV-FEB
        default:
          return name(names[a]) + "," + name(names[b]);
      }
    }
    return number_field(1, 12, 12);
  }

  std::string day_of_week_names_field() {
    static const std::vector<std::string> names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    const int a = uni(0, 6);
    const int b = uni(0, 6);
    switch (uni(0, 2)) {
      case 0:
        return name(names[a]);
      case 1:
        return name(names[a]) + "-" + name(names[b]);  // may wrap: FRI-MON
      default:
        return name(names[a]) + "," + name(names[b]);
    }
  }

  /// "day-of-month day-of-week", one of them '?'.
  std::string day_fields() {
    static const std::vector<std::string> names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    if (chance(55)) {
      std::string dom;
      switch (uni(0, 6)) {
        case 0:
          dom = "L";
          break;
        case 1:
          dom = "L-" + std::to_string(chance(70) ? uni(0, 5) : uni(0, 30));
          break;
        case 2:
          dom = "LW";
          break;
        case 3:
          dom = "L-" + std::to_string(chance(70) ? uni(0, 5) : uni(0, 30)) + "W";
          break;
        case 4:
          dom = std::to_string(chance(60) ? pick(std::vector<int>{1, 2, 3, 15, 28, 29, 30, 31})
                                          : uni(1, 31)) +
                "W";
          break;
        default:
          dom = number_field(1, 31, 31);
      }
      return dom + " ?";
    }
    std::string dow;
    switch (uni(0, 6)) {
      case 0:
        dow = "L";  // Quartz: Saturday
        break;
      case 1:
        dow = (chance(50) ? std::to_string(uni(1, 7)) : name(names[uni(0, 6)])) + "L";
        break;
      case 2:
        dow = (chance(50) ? std::to_string(uni(1, 7)) : name(names[uni(0, 6)])) + "#" +
              std::to_string(chance(40) ? 5 : uni(1, 5));
        break;
      case 3:
        dow = day_of_week_names_field();
        break;
      default:
        dow = number_field(1, 7, 7);
    }
    return "? " + dow;
  }

  std::string year_field() {
    switch (uni(0, 5)) {
      case 0:
        return "*";
      case 1:
        return std::to_string(uni(2000, 2060));
      case 2: {
        const int a = uni(1990, 2060);
        return std::to_string(a) + "-" + std::to_string(a + uni(0, 12));
      }
      case 3:
        return std::to_string(uni(2000, 2030)) + "/" + std::to_string(uni(1, 8));
      case 4:
        return std::to_string(uni(1990, 2060)) + "," + std::to_string(uni(1990, 2060));
      default:
        return "*/" + std::to_string(uni(1, 12));
    }
  }

  std::string expression() {
    std::string out = time_field(59) + " " + time_field(59) + " " +
                      (chance(50) ? std::to_string(value(0, 23)) : number_field(0, 23, 23)) + " " +
                      day_fields();
    // Splice the month in between the two day fields.
    const auto space = out.rfind(' ');
    out = out.substr(0, space) + " " + month_field() + out.substr(space);
    if (chance(25)) out += " " + year_field();
    return out;
  }

  /// An expression that fires around the small hours, where offsets change.
  std::string dst_expression() {
    static const std::vector<std::string> seconds{"0", "0", "*/20", "59", "*"};
    static const std::vector<std::string> minutes{"0",  "30",  "*/15", "0/20",
                                                  "59", "1-3", "*",    "45"};
    static const std::vector<std::string> hours{"2", "1-3", "0-3",  "*",  "3",
                                                "0", "1",   "22-3", "*/2"};
    static const std::vector<std::string> days{"* * ?",    "? * SUN",     "? * 1L",
                                               "L * ?",    "? * 1#1",     "LW * ?",
                                               "1-15 * ?", "? * MON-FRI", "? 3,10,11 *"};
    return pick(seconds) + " " + pick(minutes) + " " + pick(hours) + " " + pick(days);
  }

  /// An instant within 30 hours of one of the zone's offset changes in 1971-2099, found with
  /// utc_offset so that changes after 2037 count too.
  sys_seconds near_transition_instant(const date::time_zone* tz) {
    using namespace std::chrono;
    for (int attempt = 0; attempt < 20; ++attempt) {
      sys_seconds lo{seconds{uni(31'536'000, 2'000'000'000)} +
                     seconds{static_cast<long>(uni(0, 1)) * 2'000'000'000L}};
      const auto offset = baton::model::utc_offset(tz, lo);
      for (int d = 0; d < 400; ++d) {
        sys_seconds hi = lo + hours{24};
        if (baton::model::utc_offset(tz, hi) == offset) {
          lo = hi;
          continue;
        }
        while (hi - lo > seconds{1}) {
          const auto mid = lo + (hi - lo) / 2;
          (baton::model::utc_offset(tz, mid) == offset ? lo : hi) = mid;
        }
        return hi + seconds{uni(-30 * 3600, 30 * 3600)};
      }
    }
    return instant(tz);
  }

  /// A copy with one random edit, to probe the parser's edges.
  std::string mutate(std::string s) {
    static const std::string alphabet = "*?,-/LW#0123456789 ABCFRIMONJAN\tx";
    const auto at = static_cast<std::size_t>(uni(0, static_cast<int>(s.size()) - 1));
    switch (uni(0, 2)) {
      case 0:
        s.insert(at, 1, alphabet[static_cast<std::size_t>(uni(0, alphabet.size() - 1))]);
        break;
      case 1:
        s.erase(at, 1);
        break;
      default:
        s[at] = alphabet[static_cast<std::size_t>(uni(0, alphabet.size() - 1))];
    }
    return s;
  }

  /// An instant to start from: anywhere in 1971-2099, or close to a month end, a leap day
  /// or one of the zone's offset transitions.
  sys_seconds instant(const date::time_zone* tz) {
    using namespace std::chrono;
    const auto any = sys_seconds{seconds{uni(31'536'000, 2'000'000'000)}} +
                     seconds{static_cast<long>(uni(0, 2)) * 2'000'000'000L};
    switch (uni(0, 4)) {
      case 0: {  // a month end, in local time
        const date::year y{uni(1971, 2099)};
        const date::month m(static_cast<unsigned>(uni(1, 12)));
        const auto last = date::local_days{date::year_month_day_last{y / m / date::last}};
        const auto local =
            last + hours{uni(0, 23)} + minutes{uni(0, 59)} + seconds{uni(0, 59)} - days{uni(0, 2)};
        return date::zoned_time<seconds>{tz, local, date::choose::earliest}.get_sys_time();
      }
      case 1: {  // around a leap day
        const date::year y{4 * uni(493, 524)};
        const auto local =
            date::local_days{y / date::February / 28} + hours{uni(0, 71)} + minutes{uni(0, 59)};
        return date::zoned_time<seconds>{tz, local, date::choose::earliest}.get_sys_time();
      }
      case 2: {  // around an offset transition, if the zone has one
        const auto info = tz->get_info(std::min(any, end_));
        if (info.end < end_) return info.end + seconds{uni(-30 * 3600, 30 * 3600)};
        return std::min(any, end_);
      }
      default:
        return std::min(any, end_);
    }
  }

 private:
  static constexpr sys_seconds end_{std::chrono::seconds{4'102'444'800L}};  // 2100
  std::mt19937_64 rng_;
};

struct query {
  std::string expression;
  std::string zone;
  std::vector<sys_seconds> afters;               // start, then each of our answers
  std::vector<std::optional<sys_seconds>> ours;  // our next after each of `afters`
  bool accepted = true;                          // by our parser
  bool sent = true;                              // to Quartz
};

/// `t` as Unix seconds and wall time, e.g. `1711846800 (2024-03-31 03:00:00 +02:00)`.
std::string show(std::optional<sys_seconds> t, const date::time_zone* tz) {
  if (!t) return "none";
  using std::chrono::seconds;
  const auto offset = baton::model::utc_offset(tz, *t);
  const auto wall = date::sys_seconds{(*t + offset).time_since_epoch()};
  return std::to_string(t->time_since_epoch().count()) + " (" + date::format("%F %T ", wall) +
         (offset < seconds{0} ? "-" : "+") +
         date::format("%R", date::sys_seconds{offset < seconds{0} ? -offset : offset}) + ")";
}

/// Whether `t` lies within 26 hours of a change of the zone's UTC offset (sampled every 6.5 h:
/// no zone changes its offset twice within that time and back).
bool near_transition(std::optional<sys_seconds> t, const date::time_zone* tz) {
  if (!t) return false;
  const auto offset = baton::model::utc_offset(tz, *t);
  for (int k = -4; k <= 4; ++k)
    if (baton::model::utc_offset(tz, *t + std::chrono::minutes{390 * k}) != offset) return true;
  return false;
}

/// Whether `t` is the first instant after a DST gap: where we fire wall times the gap skips.
bool is_gap_end(sys_seconds t, const date::time_zone* tz) {
  return baton::model::utc_offset(tz, t - std::chrono::seconds{1}) <
         baton::model::utc_offset(tz, t);
}

/// Whether the wall time of `t` occurred before, under a larger offset: `t` is its second
/// occurrence, which we never fire.
bool is_second_occurrence(sys_seconds t, const date::time_zone* tz) {
  const auto now = baton::model::utc_offset(tz, t);
  const auto before = baton::model::utc_offset(tz, t - std::chrono::hours{3});
  return before > now && baton::model::utc_offset(tz, t - (before - now)) == before;
}

/// Whether the clock hour of `t` began inside a DST gap (Lord Howe's and Chatham's gaps end at
/// half or three quarters past): Quartz resets to minute 0 there, lands in the gap and skips
/// the hour.
bool in_hour_cut_by_gap(sys_seconds t, const date::time_zone* tz) {
  using namespace std::chrono;
  const auto now = baton::model::utc_offset(tz, t);
  const auto wall = t + now;
  const auto hour_start = date::floor<hours>(wall);  // as a wall time, in sys_seconds form
  for (const auto offset : {now, baton::model::utc_offset(tz, t - hours{3})}) {
    if (baton::model::utc_offset(tz, hour_start - offset) == offset)
      return false;  // the hour's first wall time exists
  }
  return true;
}

/// The wall-clock date of `t` in `tz`.
date::year_month_day local_date(sys_seconds t, const date::time_zone* tz) {
  const auto local = t + baton::model::utc_offset(tz, t);
  return date::year_month_day{date::floor<date::days>(date::sys_seconds{local.time_since_epoch()})};
}

/// The day-of-month field of an expression we accept.
std::string day_of_month_field(const std::string& expression) {
  std::istringstream in(expression);
  std::string field;
  for (int i = 0; i < 4; ++i) in >> field;
  return field;
}

/// `L-nW` with n >= 28 reaches before the 1st in some months, where Quartz loops forever or
/// fires in the wrong month (docs/cron.md); such expressions are not sent to Quartz.
bool reaches_before_first(const std::string& expression) {
  const auto dom = day_of_month_field(expression);
  return dom.size() > 3 && (dom[0] == 'L' || dom[0] == 'l') && dom[1] == '-' &&
         (dom.back() == 'W' || dom.back() == 'w') && std::stoi(dom.substr(2)) >= 28;
}

/// Quartz fires `nW` on the last day of a month that is one day short of n, when the
/// non-existent day n would be a Saturday (e.g. 29W on Friday 28 February 1997); we do not
/// fire `nW` in months without day n (docs/cron.md). True when `quartz` is such a fire.
bool quartz_short_month_weekday(const std::string& expression, sys_seconds quartz,
                                const date::time_zone* tz) {
  const auto dom = day_of_month_field(expression);
  if (dom.size() < 2 || (dom.back() != 'W' && dom.back() != 'w') || !std::isdigit(dom[0]))
    return false;
  const auto n = static_cast<unsigned>(std::stoi(dom));
  const auto ymd = local_date(quartz, tz);
  const auto last = date::year_month_day_last{ymd.year() / ymd.month() / date::last}.day();
  const auto next_first =
      date::sys_days{date::year_month_day_last{ymd.year() / ymd.month() / date::last}} +
      date::days{1};
  return ymd.day() == last && n == static_cast<unsigned>(last) + 1 &&
         date::weekday{next_first} == date::Saturday;
}

/// The version of the OS time zone database, which date/tz reports as "unknown".
std::string os_tzdb_version() {
  std::ifstream in("/usr/share/zoneinfo/tzdata.zi");
  std::string line;
  std::getline(in, line);
  return line.rfind("# version ", 0) == 0 ? line.substr(10) : "unknown";
}

/// Runs the oracle on `input`; returns its answer lines.
std::vector<std::string> run_quartz(const std::string& input) {
  const auto dir = fs::temp_directory_path() /
                   ("baton-quartz-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  const auto in = dir / "queries.tsv";
  const auto out = dir / "answers.tsv";
  const auto err = dir / "stderr.txt";
  std::ofstream(in) << input;
  const std::string source = std::string(BATON_SOURCE_DIR) + "/tests/quartz/QuartzOracle.java";
  // Single-file source mode compiles in memory: nothing to build, nothing left behind.
  const std::string command = "java -Xshare:auto -XX:TieredStopAtLevel=1 -cp " +
                              std::string(quartz_jar) + " '" + source + "' < '" + in.string() +
                              "' > '" + out.string() + "' 2> '" + err.string() + "'";
  const int rc = std::system(command.c_str());
  std::vector<std::string> lines;
  std::ifstream answers(out);
  for (std::string line; std::getline(answers, line);) lines.push_back(line);
  if (rc != 0) {
    std::ifstream e(err);
    std::stringstream text;
    text << e.rdbuf();
    FAIL("java failed (" << rc << "): " << text.str());
  }
  if (std::getenv("BATON_QUARTZ_KEEP"))
    std::cout << "quartz queries kept in " << dir << "\n";
  else
    fs::remove_all(dir);
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

/// Hand-picked corners, run in every zone from several instants.
const std::vector<std::string> corner_expressions{
    "0 0 0 29 2 ?",
    "0 0 12 L-3 * ?",
    "0 0 12 15W * ?",
    "0 0 12 1W * ?",
    "0 0 12 LW * ?",
    "0 0 12 L-2W * ?",
    "0 0 12 ? * 6#5",
    "0 0 12 ? * 5L",
    "0 0 12 ? * FRIL",
    "0 0 12 L * ?",
    "0 0 12 31 * ?",
    "0 0 12 30 2 ?",
    "0 0 12 ? * 2#1",
    "0 0 12 ? * L",
    "0 15 10 ? * MON-FRI",
    "0 0 0 1 1 ? 2030",
    "0 0 0 L 2 ? 2024-2040",
    "0 0 0 29 FEB ? */4",
    "* * * * * ?",
    "0 * * * * ?",
    "0 0/15 * * * ?",
    "0 0 22-2 * * ?",
    "0 0 12 ? NOV-FEB FRI-MON",
    "0 0 12 ? * SUN#5",
    "59 59 23 L * ?",
    "0 0 0 1W * ?",
    "0 0 12 L-30 * ?",
    "0 0 12 28W 2 ?",
    "0 0 12 29W 2 ?",
    "0 0 12 L-0W * ?",
    "0 0 12 ? * 7#5",
    "0 0 0 ? * 1#5 2025-2035",
};

const std::vector<std::string> zones{
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Tokyo",
    "Europe/London",
    "Pacific/Apia",
};

}  // namespace

TEST_CASE("next fire times agree with Quartz 2.3", "[cron][quartz]") {
  if (!have_java()) {
    WARN("java or " << quartz_jar << " is missing: skipping the comparison with Quartz");
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  // BATON_QUARTZ_SEED explores other cases; the default keeps the suite deterministic.
  const char* seed = std::getenv("BATON_QUARTZ_SEED");
  generator gen(seed && *seed ? std::stoull(seed) : 0xBA7'0C'40'42ULL);
  constexpr int chain = 4;

  std::vector<query> queries;
  const auto add = [&](std::string expression, std::string zone_name, sys_seconds start) {
    const auto* tz = baton::model::find_zone(zone_name);
    REQUIRE(tz != nullptr);
    query q{std::move(expression), std::move(zone_name), {start}, {}};
    const auto parsed = cron_expression::parse(q.expression);
    if (const auto* cron = std::get_if<cron_expression>(&parsed)) {
      for (int i = 0; i < chain; ++i) {
        q.ours.push_back(cron->next_after(q.afters.back(), tz));
        if (!q.ours.back() || i + 1 == chain) break;
        q.afters.push_back(*q.ours.back());
      }
      q.sent = !reaches_before_first(q.expression);
    } else {
      q.accepted = false;
    }
    queries.push_back(std::move(q));
  };

  for (const auto& e : corner_expressions)
    for (const auto& z : zones)
      for (int i = 0; i < 4; ++i) add(e, z, gen.instant(baton::model::find_zone(z)));
  const std::vector<std::string> dst_zones{
      "Europe/Berlin",     "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
      "America/Sao_Paulo", "Pacific/Chatham",  "America/St_Johns", "Europe/London"};
  for (int i = 0; i < 2500; ++i) {
    const auto& z = gen.pick(dst_zones);
    add(gen.dst_expression(), z, gen.near_transition_instant(baton::model::find_zone(z)));
  }
  for (int i = 0; i < 8000; ++i) {
    const auto& z = gen.pick(zones);
    const auto expression = gen.expression();
    add(expression, z, gen.instant(baton::model::find_zone(z)));
    if (i % 3 == 0) add(gen.mutate(expression), z, gen.instant(baton::model::find_zone(z)));
  }

  std::string input = "V\n";
  for (const auto& q : queries) {
    if (!q.sent) continue;
    if (!q.accepted) {
      input += "P\t" + q.expression + "\n";
      continue;
    }
    input += "N\t" + q.zone + "\t";
    for (const auto& a : q.afters)
      input += std::to_string(a.time_since_epoch().count()) + (&a == &q.afters.back() ? "\t" : ",");
    input += q.expression + "\n";
  }
  const auto answers = run_quartz(input);
  REQUIRE(answers.size() ==
          1 + static_cast<std::size_t>(
                  std::count_if(queries.begin(), queries.end(), [](auto& q) { return q.sent; })));
  const auto version = split_tabs(answers[0]);
  REQUIRE(version.size() == 3);
  const int quartz_max_year = std::stoi(version[1]);

  std::size_t compared = 0, near_dst_compared = 0, dst_gap = 0, dst_repeat = 0, dst_cut_hour = 0,
              past_max_year = 0;
  std::size_t rejected_by_us = 0, rejected_by_both = 0;
  std::vector<std::string> failures;
  std::size_t short_month_weekday = 0, not_sent = 0;
  for (std::size_t i = 0, line = 1; i < queries.size(); ++i) {
    const auto& q = queries[i];
    if (!q.sent) {
      ++not_sent;
      continue;
    }
    const auto fields = split_tabs(answers[line++]);
    if (!q.accepted) {
      ++rejected_by_us;
      rejected_by_both += fields[0] == "ERR";
      continue;
    }
    if (fields[0] == "HANG") {
      failures.push_back("Quartz hangs on \"" + q.expression + "\" in " + q.zone);
      continue;
    }
    if (fields[0] != "OK") {
      failures.push_back("Quartz rejects what we accept: \"" + q.expression +
                         "\": " + (fields.size() > 1 ? fields[1] : ""));
      continue;
    }
    REQUIRE(fields.size() == q.ours.size() + 1);
    const auto* tz = baton::model::find_zone(q.zone);
    for (std::size_t k = 0; k < q.ours.size(); ++k) {
      std::optional<sys_seconds> theirs;
      if (fields[k + 1] != "-")
        theirs = sys_seconds{std::chrono::seconds{std::stoll(fields[k + 1])}};
      const auto& ours = q.ours[k];
      if (ours && static_cast<int>(local_date(*ours, tz).year()) > quartz_max_year) {
        // Quartz gives up after MAX_YEAR; we go on to 2199.
        ++past_max_year;
        if (theirs)
          failures.push_back("Quartz fires past its MAX_YEAR: \"" + q.expression + "\" " + q.zone +
                             " after " + show(q.afters[k], tz));
        continue;
      }
      ++compared;
      const bool near_dst = near_transition(q.afters[k], tz) || near_transition(ours, tz) ||
                            near_transition(theirs, tz);
      near_dst_compared += near_dst;
      if (ours == theirs) continue;
      if (theirs && quartz_short_month_weekday(q.expression, *theirs, tz) &&
          (!ours || *ours > *theirs)) {
        ++short_month_weekday;
        continue;
      }
      if (near_dst && ours && is_gap_end(*ours, tz)) {
        ++dst_gap;
        continue;
      }
      if (near_dst && theirs && is_second_occurrence(*theirs, tz)) {
        ++dst_repeat;
        continue;
      }
      if (near_dst && ours && in_hour_cut_by_gap(*ours, tz)) {
        ++dst_cut_hour;
        continue;
      }
      if (ours != theirs)
        failures.push_back("\"" + q.expression + "\" " + q.zone + " after " +
                           show(q.afters[k], tz) + ": baton " + show(ours, tz) + ", quartz " +
                           show(theirs, tz));
    }
  }
  const auto seconds_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "quartz diff: " << queries.size() << " expressions, " << compared
            << " next times compared (" << near_dst_compared
            << " within a day of a DST transition), differing on purpose: " << dst_gap
            << " at the end of a DST gap, " << dst_repeat
            << " Quartz fires at a repeated wall time's second occurrence, " << dst_cut_hour
            << " in an hour that begins in a gap, " << short_month_weekday
            << " Quartz fires of nW in a month without day n, " << not_sent
            << " L-nW (n >= 28) expressions not sent, " << past_max_year << " past Quartz MAX_YEAR "
            << quartz_max_year << ", " << rejected_by_us << " mutants rejected by us ("
            << rejected_by_both << " by Quartz too); tzdb: Quartz " << version[2] << ", ours "
            << os_tzdb_version() << "; " << seconds_taken << " s\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(failures.size(), 2000); ++i)
    UNSCOPED_INFO(failures[i]);
  CHECK(failures.empty());
  CHECK(compared > 30000);
  CHECK(near_dst_compared > 500);
}
