#include "model/schedule.hpp"

#include <algorithm>
#include <chrono>

#include "model/cron.hpp"

namespace baton::model {

std::string_view to_string(misfire_policy p) {
  switch (p) {
    case misfire_policy::fire_once_now:
      return "fire_once_now";
    case misfire_policy::skip:
      return "skip";
    case misfire_policy::catch_up:
      return "catch_up";
  }
  return "?";
}
std::string_view to_string(overlap_policy p) {
  switch (p) {
    case overlap_policy::allow:
      return "allow";
    case overlap_policy::skip:
      return "skip";
    case overlap_policy::queue:
      return "queue";
  }
  return "?";
}
std::string_view to_string(schedule_status s) {
  switch (s) {
    case schedule_status::active:
      return "ACTIVE";
    case schedule_status::paused:
      return "PAUSED";
    case schedule_status::complete:
      return "COMPLETE";
  }
  return "?";
}
std::optional<misfire_policy> parse_misfire_policy(std::string_view s) {
  for (auto p : {misfire_policy::fire_once_now, misfire_policy::skip, misfire_policy::catch_up}) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
}
std::optional<overlap_policy> parse_overlap_policy(std::string_view s) {
  for (auto p : {overlap_policy::allow, overlap_policy::skip, overlap_policy::queue}) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
}
std::optional<schedule_status> parse_schedule_status(std::string_view s) {
  for (auto p : {schedule_status::active, schedule_status::paused, schedule_status::complete}) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
}

std::optional<std::int64_t> next_cron_fire(const schedule& s, std::int64_t after_ms) {
  if (s.cron.empty()) return std::nullopt;
  // Schedules due together mostly share their expression: parsing it once per thread and
  // expression, not once per fire, keeps a cron second of 100k fires off the parser.
  thread_local std::string last_text;
  thread_local std::variant<cron_expression, cron_error> parsed = cron_error{};
  if (s.cron != last_text || std::holds_alternative<cron_error>(parsed)) {
    parsed = cron_expression::parse(s.cron);
    last_text = s.cron;
  }
  auto* expr = std::get_if<cron_expression>(&parsed);
  const auto* zone = find_zone(s.time_zone);
  if (!expr || !zone) return std::nullopt;
  // The window's start counts as a possible fire time itself: fire at or after it.
  auto from_ms = after_ms;
  if (s.start_ms && *s.start_ms - 1 > from_ms) from_ms = *s.start_ms - 1;
  using namespace std::chrono;
  auto after = floor<seconds>(sys_time<milliseconds>(milliseconds(from_ms)));
  auto next = expr->next_after(after, zone);
  if (!next) return std::nullopt;
  auto ms = duration_cast<milliseconds>(next->time_since_epoch()).count();
  if (s.end_ms && ms > *s.end_ms) return std::nullopt;
  return ms;
}

std::vector<std::pair<std::string, std::string>> check_schedule(const schedule& s) {
  std::vector<std::pair<std::string, std::string>> errors;
  if (s.definition.empty()) errors.emplace_back("definition", "required");
  if (!s.cron.empty()) {
    auto parsed = cron_expression::parse(s.cron);
    if (auto* e = std::get_if<cron_error>(&parsed)) errors.emplace_back("cron", e->to_string());
  } else if (!s.run_immediately) {
    errors.emplace_back("cron", "required unless runImmediately");
  }
  if (!find_zone(s.time_zone))
    errors.emplace_back("timeZone", "unknown time zone \"" + s.time_zone + "\"");
  if (s.start_ms && s.end_ms && *s.end_ms < *s.start_ms) {
    errors.emplace_back("endDate", "is before startDate");
  }
  if (s.retry_count < 0) errors.emplace_back("retryCount", "must be 0 or more");
  if (s.catch_up_window_ms < 0) errors.emplace_back("catchUpWindowMs", "must be 0 or more");
  return errors;
}

std::optional<std::int64_t> record_run(schedule& s, schedule_run run) {
  // Runs arrive in fire time order but for the answers of a wake-up's fires started one by
  // one; kept ordered, the oldest is the first and the stored runs sort the same way.
  auto at = std::upper_bound(s.runs.begin(), s.runs.end(), run.fire_ms,
                             [](std::int64_t t, const schedule_run& r) { return t < r.fire_ms; });
  s.runs.insert(at, std::move(run));
  if (s.runs.size() <= max_runs_kept) return std::nullopt;
  auto dropped = s.runs.front().fire_ms;
  s.runs.erase(s.runs.begin());
  return dropped;
}

namespace {

/// After the fires of a plan: complete when run-once fired or nothing is left to fire.
void settle(const schedule& s, fire_plan& plan, std::int64_t after_ms) {
  bool fired_once = !plan.fire_times.empty() || !s.runs.empty();
  if (s.run_once && fired_once) {
    plan.status = schedule_status::complete;
    plan.next_fire_ms = 0;
    return;
  }
  auto next = next_cron_fire(s, after_ms);
  plan.next_fire_ms = next.value_or(0);
  plan.status = next ? s.status : schedule_status::complete;
}

}  // namespace

fire_plan plan_new(const schedule& s, std::int64_t now_ms) {
  fire_plan plan;
  plan.status = s.status;
  if (s.end_ms && now_ms > *s.end_ms) {
    plan.status = schedule_status::complete;
    return plan;
  }
  bool window_open = !s.start_ms || *s.start_ms <= now_ms;
  if (s.run_immediately && window_open) {
    plan.next_fire_ms = now_ms;  // the timer fires it at once, through the same path as cron
    return plan;
  }
  settle(s, plan, now_ms);
  return plan;
}

fire_plan plan_fires(const schedule& s, std::int64_t now_ms) {
  fire_plan plan;
  plan.status = s.status;
  plan.next_fire_ms = s.next_fire_ms;
  if (s.status != schedule_status::active || s.next_fire_ms == 0 || s.next_fire_ms > now_ms) {
    return plan;
  }
  auto due = s.next_fire_ms;
  if (now_ms - due <= misfire_threshold_ms) {
    // Late, not misfired: as in Quartz, each time that came due fires, oldest first (a
    // seconds cron after a stall of a few seconds runs once per second it missed).
    std::optional<std::int64_t> t = due;
    for (int n = 0; t && *t <= now_ms && n < 1000; ++n) {
      plan.fire_times.push_back(*t);
      plan.notes.emplace_back();
      if (s.run_once) break;
      t = next_cron_fire(s, *t);
    }
  } else {
    switch (s.misfire) {
      case misfire_policy::fire_once_now:
        plan.fire_times.push_back(due);
        plan.notes.push_back("misfire: fired once for the missed times");
        break;
      case misfire_policy::skip:
        break;
      case misfire_policy::catch_up: {
        // Every missed time inside the window, oldest first, bounded so one restart cannot
        // flood the engine. Start at the window's edge: times before it must not use up the
        // bound, or a long downtime of a frequent cron would catch up nothing.
        std::optional<std::int64_t> t = due;
        if (now_ms - due > s.catch_up_window_ms) {
          t = next_cron_fire(s, now_ms - s.catch_up_window_ms - 1);
        }
        for (int n = 0; t && *t <= now_ms && n < 1000; ++n) {
          if (now_ms - *t <= s.catch_up_window_ms) {
            plan.fire_times.push_back(*t);
            plan.notes.push_back("misfire: caught up");
          }
          t = next_cron_fire(s, *t);
        }
        break;
      }
    }
  }
  settle(s, plan, now_ms);
  return plan;
}

}  // namespace baton::model
