#include <CLI/CLI.hpp>

#include "cmd/commands.hpp"
#include "cmd/remote.hpp"
#include "model/clock.hpp"
#include "storage/db.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Baton: a durable process orchestration server"};
  app.set_version_flag("--version", "baton " BATON_VERSION);
  app.require_subcommand(1);

  auto* serve = app.add_subcommand("serve", "run the server");
  std::string config_file, listen, data, definitions;
  serve->add_option("--config", config_file, "TOML settings file");
  serve->add_option("--listen", listen, "host:port (port 0 picks a free one)");
  serve->add_option("--data", data, "data folder (RocksDB)");
  serve->add_option("--definitions", definitions, "folder of definition JSON files to deploy");
  std::string node, etcd;
  serve->add_option("--node", node, "this node's name in the cluster (cluster.node)");
  serve->add_option("--etcd", etcd,
                    "etcd client URLs, comma-separated: join a cluster (cluster.etcd)");
  bool print_routes = false;
  serve->add_flag("--print-routes", print_routes,
                  "print every route (METHOD pattern) and exit without listening");

  auto* cron = app.add_subcommand("cron", "Quartz cron expressions")->require_subcommand(1);
  auto* next = cron->add_subcommand("next", "print the next fire times of an expression");
  std::string expr, tz, from;
  std::size_t count = 5;
  next->add_option("expr", expr, "Quartz expression, quoted")->required();
  next->add_option("--tz", tz, "IANA time zone (default: the machine's)");
  next->add_option("--from", from, "ISO-8601 instant to start after (default: now)");
  next->add_option("--count", count, "how many fire times")->check(CLI::Range(1, 1000));

  auto* db = app.add_subcommand("db", "inspect the store")->require_subcommand(1);
  auto* dump = db->add_subcommand(
      "dump", "print records as JSON lines (read-only: works while the server runs)");
  std::string dump_data = "./data", family = "processes", prefix;
  dump->add_option("--data", dump_data, "data folder");
  std::vector<std::string> families;
  for (std::size_t i = 0; i < baton::storage::cf_count; ++i) {
    families.emplace_back(baton::storage::cf_name(static_cast<baton::storage::cf>(i)));
  }
  dump->add_option("--cf", family, "column family")->check(CLI::IsMember(families));
  dump->add_option("--prefix", prefix, "key prefix");
  auto* check = db->add_subcommand("check", "check that the store is consistent (server stopped)");
  std::string check_data = "./data";
  check->add_option("--data", check_data, "data folder");
  auto* restore = db->add_subcommand("restore", "make a data folder from a backup");
  std::string restore_from, restore_data;
  restore->add_option("--from", restore_from, "backup folder (POST /api/v1/admin/backup)")
      ->required();
  restore->add_option("--data", restore_data, "new data folder (must not exist or be empty)")
      ->required();

  auto* clients =
      app.add_subcommand("clients", "manage clients (server stopped)")->require_subcommand(1);
  std::string clients_data = "./data", client_name, role = "runner", globs = "*";
  std::string clients_action;
  for (auto [verb, help] :
       {std::pair{"create", "create a client and print its secrets once"},
        std::pair{"list", "list clients"}, std::pair{"disable", "disable a client"},
        std::pair{"enable", "enable a client"},
        std::pair{"rotate", "new secrets for a client, printed once"}}) {
    auto* sub = clients->add_subcommand(verb, help);
    sub->add_option("--data", clients_data, "data folder");
    if (std::string(verb) != "list")
      sub->add_option("name", client_name, "client name")->required();
    if (std::string(verb) == "create") {
      sub->add_option("--role", role, "runner, operator or admin");
      sub->add_option("--definitions", globs,
                      "comma-separated definition name globs, e.g. 'Loan*'");
    }
    sub->callback([&clients_action, verb] { clients_action = verb; });
  }

  // The remote commands: each runs from its callback during parsing and leaves its exit code.
  baton::cmd::remote_context remote;
  baton::cmd::add_process_commands(app, remote);
  baton::cmd::add_definition_commands(app, remote);
  baton::cmd::add_schedule_commands(app, remote);
  baton::cmd::add_admin_commands(app, remote);
  baton::cmd::add_job_commands(app, remote);
  baton::cmd::add_completion_command(app, remote);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; every usage mistake is exit 1, whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 1;
  }

  if (!clients_action.empty()) {
    return baton::cmd::clients_command(clients_data, clients_action, client_name, role, globs);
  }

  if (serve->parsed()) {
    std::map<std::string, std::string> flags;
    if (!listen.empty()) flags["http.listen"] = listen;
    if (!data.empty()) flags["storage.data_dir"] = data;
    if (!definitions.empty()) flags["engine.definitions_dir"] = definitions;
    if (!node.empty()) flags["cluster.node"] = node;
    if (!etcd.empty()) flags["cluster.etcd"] = etcd;
    try {
      return baton::cmd::serve(config_file.empty() ? std::nullopt : std::optional(config_file),
                               flags, print_routes);
    } catch (const std::exception& e) {
      // Start-up reads that fail (the auth secret, the clients) end here: said, not aborted.
      std::cerr << "baton: cannot serve: " << e.what() << "\n";
      return 1;
    }
  }
  if (next->parsed()) {
    return baton::cmd::cron_next(expr, tz, from, count, baton::model::system_clock_ms());
  }
  if (dump->parsed()) return baton::cmd::db_dump(dump_data, family, prefix);
  if (check->parsed()) return baton::cmd::db_check(check_data);
  if (restore->parsed()) return baton::cmd::db_restore(restore_from, restore_data);
  return remote.exit_code;
}
