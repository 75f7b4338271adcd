// `baton process …`, `baton step complete` and `baton task list`: the life of a process.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cmd/cli_client.hpp"
#include "cmd/remote.hpp"
#include "cmd/remote_views.hpp"
#include "model/process.hpp"

namespace baton::cmd {

namespace {

const std::vector<std::string> statuses = {"WAITING", "RUNNING", "SUCCEEDED", "FAILED",
                                           "CANCELLED"};

bool is_final(std::string_view status) {
  return status == "SUCCEEDED" || status == "FAILED" || status == "CANCELLED";
}

/// Prints a process answer: its JSON as sent, or the view for people.
int show_process(const remote_context& ctx, const cli_reply& r) {
  if (ctx.json) {
    std::cout << r.body << "\n";
  } else {
    print_process(std::cout, parse_answer(r.body).as_object());
  }
  return exit_ok;
}

struct start_args {
  std::string definition;
  std::vector<std::string> values;
  std::string scope, busy, idempotency_key, wait;
  std::int64_t version = 0;
  double timeout_s = 30;
};

/// Polls the process until its status is `wanted` or final, or `timeout_s` passes.
/// @returns the last answer and whether `wanted` was reached.
std::pair<cli_reply, bool> wait_for(cli_client& client, const std::string& id,
                                    const std::string& wanted, double timeout_s) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                     std::chrono::duration<double>(timeout_s));
  for (;;) {
    auto r = client.call("GET", "/api/v1/processes/" + encode_component(id));
    if (!r.ok()) return {r, false};
    auto status = cell(parse_answer(r.body).as_object(), "status");
    if (status == wanted) return {r, true};
    if (is_final(status) || clock::now() >= deadline) return {r, false};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void add_start(CLI::App* process, remote_context& ctx) {
  auto args = std::make_shared<start_args>();
  auto* cmd = process->add_subcommand("start", "start a process; its id is the last word printed");
  cmd->add_option("definition", args->definition, "definition name")->required();
  cmd->add_option("--value,-v", args->values, "input NAME=VALUE (VALUE as JSON when it is JSON)");
  cmd->add_option("--scope", args->scope, "concurrency scope");
  cmd->add_option("--version", args->version, "definition version (default: the latest)");
  cmd->add_option("--busy", args->busy, "when the scope is full: queue or reject")
      ->check(CLI::IsMember({"queue", "reject"}));
  cmd->add_option("--idempotency-key", args->idempotency_key, "a retry with it starts nothing new");
  cmd->add_option("--wait", args->wait,
                  "wait until the process has this status (e.g. SUCCEEDED) or ends; "
                  "exit 3 when it ends otherwise")
      ->transform(CLI::IsMember(statuses, CLI::ignore_case));
  cmd->add_option("--timeout", args->timeout_s, "seconds --wait waits (default 30)")
      ->check(CLI::Range(0.0, 86400.0));
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, args](cli_client& client) {
    json::object body;
    body["definition"] = args->definition;
    body["values"] = assignments(args->values, "--value");
    if (!args->scope.empty()) body["scope"] = args->scope;
    if (args->version > 0) body["version"] = args->version;
    if (!args->busy.empty()) body["busy"] = args->busy;
    if (!args->idempotency_key.empty()) body["idempotencyKey"] = args->idempotency_key;
    auto r = client.call("POST", "/api/v1/processes", json::serialize(body));
    if (!r.ok()) return client.report(r);
    auto id = cell(parse_answer(r.body).as_object(), "id");
    int code = exit_ok;
    if (!args->wait.empty()) {
      auto [last, reached] = wait_for(client, id, args->wait, args->timeout_s);
      if (!last.ok()) return client.report(last);
      r = std::move(last);
      if (!reached) {
        std::cerr << "baton: process " << id << " is "
                  << cell(parse_answer(r.body).as_object(), "status") << ", not " << args->wait
                  << "\n";
        code = exit_refused;
      }
    }
    show_process(ctx, r);
    if (!ctx.json) std::cout << "started " << id << "\n";
    return code;
  });
}

void add_get(CLI::App* process, remote_context& ctx) {
  auto id = std::make_shared<std::string>();
  auto watch = std::make_shared<watch_options>();
  auto* cmd = process->add_subcommand("get", "status, values, outputs and steps of a process");
  cmd->add_option("id", *id, "process id")->required();
  add_watch_options(cmd, *watch);
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, id, watch](cli_client& client) {
    return watch_loop(*watch, [&] {
      auto r = client.call("GET", "/api/v1/processes/" + encode_component(*id));
      return r.ok() ? show_process(ctx, r) : client.report(r);
    });
  });
}

struct list_args {
  std::string status, definition, scope, after;
  int limit = 0;
  watch_options watch;
};

void add_list(CLI::App* process, remote_context& ctx) {
  auto args = std::make_shared<list_args>();
  auto* cmd = process->add_subcommand("list", "processes, newest first, one page");
  cmd->add_option("--status", args->status, "only this status")
      ->transform(CLI::IsMember(statuses, CLI::ignore_case));
  cmd->add_option("--definition", args->definition, "only this definition");
  cmd->add_option("--scope", args->scope, "only this scope");
  cmd->add_option("--limit", args->limit, "at most this many (1..1000)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--after", args->after, "the cursor a previous page printed");
  add_watch_options(cmd, args->watch);
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, args](cli_client& client) {
    auto query = query_string({{"status", args->status},
                               {"definition", args->definition},
                               {"scope", args->scope},
                               {"after", args->after},
                               {"limit", args->limit > 0 ? std::to_string(args->limit) : ""}});
    return watch_loop(args->watch, [&] {
      auto r = client.call("GET", "/api/v1/processes" + query);
      if (!r.ok()) return client.report(r);
      if (ctx.json) {
        std::cout << r.body << "\n";
        return exit_ok;
      }
      auto page = parse_answer(r.body).as_object();
      text_table table({"ID", "DEFINITION", "VERSION", "STATUS", "SCOPE", "UPDATED"});
      for (const auto& item : page["items"].as_array()) {
        const auto& p = item.as_object();
        table.add({cell(p, "id"), cell(p, "definition"), cell(p, "version"), cell(p, "status"),
                   cell(p, "scope"), instant(p, "updatedMs")});
      }
      table.print(std::cout);
      if (auto next = cell(page, "next"); next != "-")
        std::cout << "more: --after " << next << "\n";
      return exit_ok;
    });
  });
}

void add_history(CLI::App* process, remote_context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* cmd = process->add_subcommand("history", "every event of a process, in order");
  cmd->add_option("id", *id, "process id")->required();
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, id](cli_client& client) {
    auto r = client.call("GET", "/api/v1/processes/" + encode_component(*id) + "/history");
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
      return exit_ok;
    }
    text_table table({"SEQ", "AT", "TYPE", "PROCESS STEP ID", "DETAIL"});
    auto answer = parse_answer(r.body);
    for (const auto& item : answer.as_object()["items"].as_array()) {
      const auto& e = item.as_object();
      table.add({cell(e, "seq"), instant(e, "atMs"), cell(e, "type"), cell(e, "processStepId"),
                 cell(e, "detail")});
    }
    table.print(std::cout);
    return exit_ok;
  });
}

void add_cancel(CLI::App* process, remote_context& ctx) {
  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* cmd = process->add_subcommand("cancel", "cancel a process that has not ended");
  cmd->add_option("id", *id, "process id")->required();
  cmd->add_option("--reason", *reason, "why (kept in the process and its history)");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, id, reason](cli_client& client) {
    json::object body;
    if (!reason->empty()) body["reason"] = *reason;
    auto r = client.call("POST", "/api/v1/processes/" + encode_component(*id) + "/cancel",
                         json::serialize(body));
    return r.ok() ? show_process(ctx, r) : client.report(r);
  });
}

void add_execute(CLI::App* process, remote_context& ctx) {
  auto id = std::make_shared<std::string>();
  auto step = std::make_shared<std::string>();
  auto* cmd = process->add_subcommand(
      "execute", "run one step now: fire its timer, retry it now, re-issue its call");
  cmd->add_option("id", *id, "process id")->required();
  cmd->add_option("step", *step, "the step's processStepId")->required();
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, id, step](cli_client& client) {
    auto r = client.call("POST",
                         "/api/v1/processes/" + encode_component(*id) + "/steps/" +
                             encode_component(*step) + "/execute",
                         "{}");
    return r.ok() ? show_process(ctx, r) : client.report(r);
  });
}

struct complete_args {
  std::string step, process;
  std::vector<std::string> params;
};

void add_step_complete(CLI::App& app, remote_context& ctx) {
  auto* step = app.add_subcommand("step", "external (human) steps")->require_subcommand(1);
  auto args = std::make_shared<complete_args>();
  auto* cmd = step->add_subcommand("complete", "complete a waiting step with typed params");
  cmd->add_option("step", args->step,
                  "the processStepId (<process id>-<n>), or with --process the step's id in "
                  "the definition (e.g. review)")
      ->required();
  cmd->add_option("--process", args->process, "the process whose step STEP completes");
  cmd->add_option("--param,-p", args->params, "param NAME=VALUE (VALUE as JSON when it is JSON)");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, args](cli_client& client) {
    auto process = args->process;
    if (process.empty()) {
      auto of_step = model::process_id_of_step(args->step);
      if (!of_step) {
        throw CLI::ValidationError("step", "\"" + args->step +
                                               "\" is not a processStepId (<process id>-<n>); "
                                               "name the process with --process");
      }
      process = std::string(*of_step);
    }
    auto r = client.call("POST",
                         "/api/v1/processes/" + encode_component(process) + "/steps/" +
                             encode_component(args->step) + "/complete",
                         json::serialize(assignments(args->params, "--param")));
    return r.ok() ? show_process(ctx, r) : client.report(r);
  });
}

struct task_args {
  std::string definition, step, scope, after;
  int limit = 0;
  watch_options watch;
};

void add_task_list(CLI::App& app, remote_context& ctx) {
  auto* task =
      app.add_subcommand("task", "the inbox of open external steps")->require_subcommand(1);
  auto args = std::make_shared<task_args>();
  auto* cmd = task->add_subcommand("list", "open external steps, oldest first, with their params");
  cmd->add_option("--definition", args->definition, "only this definition");
  cmd->add_option("--step", args->step, "only this step id");
  cmd->add_option("--scope", args->scope, "only this scope");
  cmd->add_option("--limit", args->limit, "at most this many")->check(CLI::Range(1, 1000));
  cmd->add_option("--after", args->after, "the cursor a previous page printed");
  add_watch_options(cmd, args->watch);
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, args](cli_client& client) {
    auto query = query_string({{"definition", args->definition},
                               {"step", args->step},
                               {"scope", args->scope},
                               {"after", args->after},
                               {"limit", args->limit > 0 ? std::to_string(args->limit) : ""}});
    return watch_loop(args->watch, [&] {
      auto r = client.call("GET", "/api/v1/tasks" + query);
      if (!r.ok()) return client.report(r);
      if (ctx.json) {
        std::cout << r.body << "\n";
        return exit_ok;
      }
      text_table table(
          {"PROCESS STEP ID", "STEP", "DEFINITION", "SCOPE", "WAITING SINCE", "PARAMS"});
      auto answer = parse_answer(r.body);
      for (const auto& item : answer.as_object()["tasks"].as_array()) {
        const auto& t = item.as_object();
        table.add({cell(t, "processStepId"), cell(t, "step"), cell(t, "definition"),
                   cell(t, "scope"), instant(t, "waitingSince"), contract_text(t.at("params"))});
      }
      table.print(std::cout);
      if (auto next = cell(answer.as_object(), "next"); next != "-")
        std::cout << "more: --after " << next << "\n";
      return exit_ok;
    });
  });
}

}  // namespace

void add_process_commands(CLI::App& app, remote_context& ctx) {
  auto* process =
      app.add_subcommand("process", "start, follow and cancel processes")->require_subcommand(1);
  add_start(process, ctx);
  add_get(process, ctx);
  add_list(process, ctx);
  add_history(process, ctx);
  add_cancel(process, ctx);
  add_execute(process, ctx);
  add_step_complete(app, ctx);
  add_task_list(app, ctx);
}

}  // namespace baton::cmd
