// `baton job activate|complete|fail`: a worker's calls, by hand or from a shell script.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cmd/cli_client.hpp"
#include "cmd/remote.hpp"
#include "cmd/remote_views.hpp"

namespace baton::cmd {

namespace {

/// A complete or fail answer: where the job and its process stand now.
void print_job_result(std::ostream& out, const json::object& j) {
  print_fields(out, {{"key", cell(j, "key")},
                     {"process", cell(j, "processId")},
                     {"process status", cell(j, "processStatus")},
                     {"step status", cell(j, "stepStatus")},
                     {"attempt", cell(j, "attempt")}});
}

struct activate_args {
  std::string type, worker = "baton-cli";
  int max = 1;
  std::int64_t lease_ms = 60'000, wait_ms = 0;
};

void add_activate(CLI::App* job, remote_context& ctx) {
  auto a = std::make_shared<activate_args>();
  auto* cmd = job->add_subcommand("activate", "lease waiting jobs of a type, oldest first");
  cmd->add_option("--type", a->type, "job type")->required();
  cmd->add_option("--worker", a->worker, "worker name (default baton-cli)");
  cmd->add_option("--max", a->max, "at most this many (1..1000, default 1)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--lease-ms", a->lease_ms, "lease length (default 60000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}));
  cmd->add_option("--wait-ms", a->wait_ms, "wait this long for one to come (default 0)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{600'000}));
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, a](cli_client& client) {
    json::object body;
    body["type"] = a->type;
    body["worker"] = a->worker;
    body["max"] = a->max;
    body["leaseMs"] = a->lease_ms;
    body["waitMs"] = a->wait_ms;
    auto r = client.call("POST", "/api/v1/jobs/activate", json::serialize(body),
                         std::chrono::milliseconds(a->wait_ms) + std::chrono::seconds(60));
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
      return exit_ok;
    }
    text_table table({"KEY", "DEFINITION", "ATTEMPT", "LEASE TOKEN", "EXPIRES", "PARAMS"});
    auto answer = parse_answer(r.body);
    for (const auto& item : answer.as_object()["jobs"].as_array()) {
      const auto& j = item.as_object();
      const auto& lease = j.at("lease").as_object();
      table.add({cell(j, "key"), cell(j, "definition"), cell(j, "attempt"), cell(lease, "token"),
                 cell(lease, "expiresAt"), contract_text(j.at("params"))});
    }
    table.print(std::cout);
    return exit_ok;
  });
}

struct finish_args {
  std::string key, token, error;
  std::vector<std::string> params;
  std::int64_t retry_in_ms = -1;
};

void add_complete(CLI::App* job, remote_context& ctx) {
  auto a = std::make_shared<finish_args>();
  auto* cmd = job->add_subcommand("complete", "finish a leased job with its result params");
  cmd->add_option("key", a->key, "job key")->required();
  cmd->add_option("--token", a->token, "the lease token activate gave")->required();
  cmd->add_option("--param,-p", a->params, "param NAME=VALUE (VALUE as JSON when it is JSON)");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, a](cli_client& client) {
    json::object body;
    body["leaseToken"] = a->token;
    body["params"] = assignments(a->params, "--param");
    auto r = client.call("POST", "/api/v1/jobs/" + encode_component(a->key) + "/complete",
                         json::serialize(body));
    if (!r.ok()) return client.report(r);
    if (ctx.json)
      std::cout << r.body << "\n";
    else
      print_job_result(std::cout, parse_answer(r.body).as_object());
    return exit_ok;
  });
}

void add_fail(CLI::App* job, remote_context& ctx) {
  auto a = std::make_shared<finish_args>();
  auto* cmd = job->add_subcommand("fail", "give a leased job back as failed");
  cmd->add_option("key", a->key, "job key")->required();
  cmd->add_option("--token", a->token, "the lease token activate gave")->required();
  cmd->add_option("--error", a->error, "why it failed");
  cmd->add_option("--retry-in-ms", a->retry_in_ms, "offer it again after this long")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400'000}));
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, a](cli_client& client) {
    json::object body;
    body["leaseToken"] = a->token;
    if (!a->error.empty()) body["error"] = a->error;
    if (a->retry_in_ms >= 0) body["retryInMs"] = a->retry_in_ms;
    auto r = client.call("POST", "/api/v1/jobs/" + encode_component(a->key) + "/fail",
                         json::serialize(body));
    if (!r.ok()) return client.report(r);
    if (ctx.json)
      std::cout << r.body << "\n";
    else
      print_job_result(std::cout, parse_answer(r.body).as_object());
    return exit_ok;
  });
}

}  // namespace

void add_job_commands(CLI::App& app, remote_context& ctx) {
  auto* job = app.add_subcommand("job", "jobs for external workers")->require_subcommand(1);
  add_activate(job, ctx);
  add_complete(job, ctx);
  add_fail(job, ctx);
}

}  // namespace baton::cmd
