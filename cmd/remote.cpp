#include "cmd/remote.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cmd/cli_client.hpp"

namespace baton::cmd {

void add_connection_options(CLI::App* command, remote_context& ctx) {
  command->add_option("--url", ctx.target.url, "server URL (else BATON_URL, else the profile)")
      ->group("Connection");
  command->add_option("--key", ctx.target.key, "API key (else BATON_KEY, else the profile)")
      ->group("Connection");
  command
      ->add_option("--profile", ctx.target.profile,
                   "profile in ~/.config/baton/cli.toml (else BATON_PROFILE, else [default])")
      ->group("Connection");
  command->add_option("--ca-file", ctx.target.ca_file, "extra PEM trust anchors for https")
      ->group("Connection");
  command->add_flag("--json", ctx.json, "print the server's JSON instead of a table");
}

void add_watch_options(CLI::App* command, watch_options& options) {
  command->add_flag("--watch", options.watch, "redraw every --interval seconds until Ctrl-C");
  command->add_option("--interval", options.interval_s, "seconds between redraws")
      ->check(CLI::Range(0.05, 3600.0));
  command->add_option("--count", options.count, "stop after this many redraws (0: never)");
}

void on_run(CLI::App* command, remote_context& ctx, std::function<int(cli_client&)> body) {
  command->callback([&ctx, body = std::move(body)] {
    auto target = resolve_target(ctx.target, cli_environment());
    if (auto* why = std::get_if<std::string>(&target)) {
      std::cerr << "baton: " << *why << "\n";
      ctx.exit_code = exit_usage;
      return;
    }
    std::unique_ptr<cli_client> client;
    try {
      client = std::make_unique<cli_client>(std::get<cli_target>(std::move(target)));
    } catch (const std::exception& e) {
      // Only the CA file can make the client fail to start: the user's to fix.
      std::cerr << "baton: cannot use the CA file: " << e.what() << "\n";
      ctx.exit_code = exit_usage;
      return;
    }
    try {
      ctx.exit_code = body(*client);
    } catch (const CLI::ParseError&) {
      throw;  // a usage error found while building the request: CLI11 reports it
    } catch (const std::exception& e) {
      std::cerr << "baton: " << e.what() << "\n";
      ctx.exit_code = exit_server;
    }
  });
}

}  // namespace baton::cmd
