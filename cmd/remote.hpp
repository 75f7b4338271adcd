#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cmd/cli_output.hpp"
#include "cmd/cli_target.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace baton::cmd {

class cli_client;

/// The remote commands' shared state: the connection flags every command takes, `--json`,
/// and the exit code the command that ran left behind.
struct remote_context {
  cli_target_flags target;
  bool json = false;
  int exit_code = 0;
};

/// Adds `--url`, `--key`, `--profile`, `--ca-file` and `--json` to `command`.
void add_connection_options(CLI::App* command, remote_context& ctx);

/// Adds `--watch`, `--interval` and `--count` to `command`.
void add_watch_options(CLI::App* command, watch_options& options);

/// Makes `command` run `body` with a client for the resolved target, storing its exit code
/// in `ctx.exit_code`. A target that cannot be resolved is a usage error (exit 1); an
/// exception from `body` (an answer that is not what the API promises) is a server error.
void on_run(CLI::App* command, remote_context& ctx, std::function<int(cli_client&)> body);

/// The remote command groups, one file each.
void add_process_commands(CLI::App& app, remote_context& ctx);     ///< process, step, task
void add_definition_commands(CLI::App& app, remote_context& ctx);  ///< definition
void add_schedule_commands(CLI::App& app, remote_context& ctx);    ///< schedule
void add_admin_commands(CLI::App& app, remote_context& ctx);       ///< scope, client, cluster
void add_job_commands(CLI::App& app, remote_context& ctx);         ///< job

/// `baton completion bash|zsh`: prints a completion script made from `app`'s commands.
void add_completion_command(CLI::App& app, remote_context& ctx);

}  // namespace baton::cmd
