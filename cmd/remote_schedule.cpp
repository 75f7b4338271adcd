// `baton schedule create|list|get|pause|resume|delete`.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cmd/cli_client.hpp"
#include "cmd/remote.hpp"
#include "cmd/remote_views.hpp"

namespace baton::cmd {

namespace {

struct create_args {
  std::string definition, cron, time_zone, scope, worker, misfire, overlap, start, end;
  std::vector<std::string> values;
  bool run_once = false, run_immediately = false;
  int retry_count = -1;
};

int show_schedule(const remote_context& ctx, const cli_reply& r) {
  if (ctx.json)
    std::cout << r.body << "\n";
  else
    print_schedule(std::cout, parse_answer(r.body).as_object());
  return exit_ok;
}

void add_create(CLI::App* schedule, remote_context& ctx) {
  auto a = std::make_shared<create_args>();
  auto* cmd = schedule->add_subcommand("create", "start a definition on a Quartz cron schedule");
  cmd->add_option("definition", a->definition, "definition name")->required();
  cmd->add_option("--cron", a->cron, "Quartz expression, quoted, e.g. '0 0 6 ? * MON-FRI'")
      ->required();
  cmd->add_option("--tz", a->time_zone, "IANA time zone (default: the server's)");
  cmd->add_option("--value,-v", a->values, "input NAME=VALUE (VALUE as JSON when it is JSON)");
  cmd->add_option("--scope", a->scope, "concurrency scope of the processes it starts");
  cmd->add_option("--worker", a->worker, "job type its job steps are offered to");
  cmd->add_option("--start-date", a->start, "ISO-8601 instant before which it does not fire");
  cmd->add_option("--end-date", a->end, "ISO-8601 instant after which it does not fire");
  cmd->add_flag("--run-once", a->run_once, "fire once, then end");
  cmd->add_flag("--run-immediately", a->run_immediately, "fire once now as well");
  cmd->add_option("--retry-count", a->retry_count, "retries of each started process")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--misfire", a->misfire, "after downtime: fire_once_now, skip or catch_up")
      ->check(CLI::IsMember({"fire_once_now", "skip", "catch_up"}));
  cmd->add_option("--overlap", a->overlap, "while the last run goes on: allow, skip or queue")
      ->check(CLI::IsMember({"allow", "skip", "queue"}));
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, a](cli_client& client) {
    json::object body;
    body["definition"] = a->definition;
    body["cron"] = a->cron;
    body["values"] = assignments(a->values, "--value");
    auto set = [&body](const char* name, const std::string& v) {
      if (!v.empty()) body[name] = v;
    };
    set("timeZone", a->time_zone);
    set("scope", a->scope);
    set("worker", a->worker);
    set("startDate", a->start);
    set("endDate", a->end);
    set("misfire", a->misfire);
    set("overlap", a->overlap);
    if (a->run_once) body["runOnce"] = true;
    if (a->run_immediately) body["runImmediately"] = true;
    if (a->retry_count >= 0) body["retryCount"] = a->retry_count;
    auto r = client.call("POST", "/api/v1/schedules", json::serialize(body));
    if (!r.ok()) return client.report(r);
    show_schedule(ctx, r);
    if (!ctx.json) std::cout << "created " << cell(parse_answer(r.body).as_object(), "id") << "\n";
    return exit_ok;
  });
}

void add_list(CLI::App* schedule, remote_context& ctx) {
  auto* cmd = schedule->add_subcommand("list", "every schedule with its next fire time");
  auto watch = std::make_shared<watch_options>();
  add_watch_options(cmd, *watch);
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, watch](cli_client& client) {
    return watch_loop(*watch, [&] {
      auto r = client.call("GET", "/api/v1/schedules");
      if (!r.ok()) return client.report(r);
      if (ctx.json) {
        std::cout << r.body << "\n";
        return exit_ok;
      }
      text_table table({"ID", "DEFINITION", "STATUS", "CRON", "TIME ZONE", "NEXT FIRE"});
      auto answer = parse_answer(r.body);
      for (const auto& item : answer.as_array()) {
        const auto& s = item.as_object();
        std::string next = "-";
        if (auto* t = s.if_contains("nextFireTimes"); t && t->is_array() && !t->as_array().empty())
          next = std::string(t->as_array().front().as_string());
        table.add({cell(s, "id"), cell(s, "definition"), cell(s, "status"), cell(s, "cron"),
                   cell(s, "timeZone"), next});
      }
      table.print(std::cout);
      return exit_ok;
    });
  });
}

/// get, pause, resume and delete: one schedule by id.
void add_by_id(CLI::App* schedule, remote_context& ctx, const char* verb, const char* help,
               const char* method, const char* suffix) {
  auto id = std::make_shared<std::string>();
  auto watch = std::make_shared<watch_options>();
  auto* cmd = schedule->add_subcommand(verb, help);
  cmd->add_option("id", *id, "schedule id")->required();
  bool is_get = std::string_view(verb) == "get";
  if (is_get) add_watch_options(cmd, *watch);
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, id, watch, method, suffix, verb](cli_client& client) {
    return watch_loop(*watch, [&] {
      auto r = client.call(method, "/api/v1/schedules/" + encode_component(*id) + suffix,
                           std::string_view(method) == "POST" ? "{}" : "");
      if (!r.ok()) return client.report(r);
      if (r.status == 204) {
        if (!ctx.json) std::cout << "deleted " << *id << "\n";
        return exit_ok;
      }
      show_schedule(ctx, r);
      if (!ctx.json && std::string_view(verb) != "get") std::cout << verb << "d " << *id << "\n";
      return exit_ok;
    });
  });
}

}  // namespace

void add_schedule_commands(CLI::App& app, remote_context& ctx) {
  auto* schedule =
      app.add_subcommand("schedule", "cron schedules that start processes")->require_subcommand(1);
  add_create(schedule, ctx);
  add_list(schedule, ctx);
  add_by_id(schedule, ctx, "get", "one schedule, its last runs and next fire times", "GET", "");
  add_by_id(schedule, ctx, "pause", "stop a schedule firing until resumed", "POST", "/pause");
  add_by_id(schedule, ctx, "resume", "let a paused schedule fire again", "POST", "/resume");
  add_by_id(schedule, ctx, "delete", "remove a schedule", "DELETE", "");
}

}  // namespace baton::cmd
