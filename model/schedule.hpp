#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/value.hpp"

namespace baton::model {

/// What to do with fire times that passed while the server was down.
enum class misfire_policy : std::uint8_t {
  fire_once_now,  ///< one run now for all that were missed (the default)
  skip,           ///< none; wait for the next fire time
  catch_up,       ///< one run per missed fire time within `catch_up_window_ms`
};
/// What to do when a fire time comes while the previous run still runs.
enum class overlap_policy : std::uint8_t {
  allow,  ///< start another run
  skip,   ///< do not start; record the fire as skipped
  queue,  ///< start it queued behind the previous (the schedule's own scope)
};
enum class schedule_status : std::uint8_t { active, paused, complete };

std::string_view to_string(misfire_policy p);
std::string_view to_string(overlap_policy p);
std::string_view to_string(schedule_status s);
std::optional<misfire_policy> parse_misfire_policy(std::string_view s);
std::optional<overlap_policy> parse_overlap_policy(std::string_view s);
std::optional<schedule_status> parse_schedule_status(std::string_view s);

/// One fire of a schedule.
struct schedule_run {
  std::int64_t fire_ms = 0;
  std::string process_id;  ///< empty when skipped
  std::string note;        ///< "skipped: previous run still running", "misfire: fired late"
  bool operator==(const schedule_run&) const = default;
};

/// A cron trigger with a time window that starts processes of one definition.
struct schedule {
  std::string id;
  std::string definition;
  values vals;
  std::string scope;
  std::string cron;       ///< Quartz expression; empty: only `run_immediately`
  std::string time_zone;  ///< IANA; empty: the server's zone
  std::optional<std::int64_t> start_ms;
  std::optional<std::int64_t> end_ms;
  bool run_once = false;
  bool run_immediately = false;
  int retry_count = 0;
  std::string worker;
  misfire_policy misfire = misfire_policy::fire_once_now;
  std::int64_t catch_up_window_ms = 3'600'000;
  overlap_policy overlap = overlap_policy::allow;
  schedule_status status = schedule_status::active;
  std::int64_t created_ms = 0;
  std::int64_t next_fire_ms = 0;   ///< 0: none planned
  std::vector<schedule_run> runs;  ///< the latest runs, oldest fire time first (bounded)
  bool operator==(const schedule&) const = default;
};

inline constexpr std::size_t max_runs_kept = 20;

/// Adds `run` to `s.runs` in fire time order and keeps the newest `max_runs_kept`.
/// @returns the fire time of the run dropped to make room, if one was.
std::optional<std::int64_t> record_run(schedule& s, schedule_run run);
/// A fire this late is still "on time"; later it is a misfire (Quartz's default threshold).
inline constexpr std::int64_t misfire_threshold_ms = 60'000;

/// The schedule's first cron fire time strictly after `after_ms` inside its window; nullopt
/// when there is none (no cron, past the end, cron exhausted).
/// @pre the cron expression and zone were validated (`check_schedule`).
std::optional<std::int64_t> next_cron_fire(const schedule& s, std::int64_t after_ms);

/// Validation: cron parses, zone exists, window is ordered. Errors are (field, reason).
std::vector<std::pair<std::string, std::string>> check_schedule(const schedule& s);

/// The decision when the scheduler looks at a schedule at `now_ms`: which fire times to run
/// now, and the schedule's state afterwards (next fire time, status).
struct fire_plan {
  std::vector<std::int64_t> fire_times;  ///< oldest first; each gets its own run
  std::vector<std::string> notes;        ///< per fire time
  std::int64_t next_fire_ms = 0;         ///< 0: none
  schedule_status status = schedule_status::active;
  bool operator==(const fire_plan&) const = default;
};
fire_plan plan_fires(const schedule& s, std::int64_t now_ms);

/// The first plan of a new schedule: its first fire time (now, when it runs immediately and
/// its window is open; else the first cron time) and status. Fires nothing itself.
fire_plan plan_new(const schedule& s, std::int64_t now_ms);

}  // namespace baton::model
