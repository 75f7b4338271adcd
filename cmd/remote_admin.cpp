// `baton scope …`, `baton client …` and `baton cluster status`: operating the server.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <sstream>

#include "cmd/cli_client.hpp"
#include "cmd/remote.hpp"
#include "cmd/remote_views.hpp"

namespace baton::cmd {

namespace {

void print_scope(std::ostream& out, const json::object& s) {
  std::string running, queued;
  for (const auto& id : s.at("running").as_array())
    running += (running.empty() ? "" : " ") + std::string(id.as_string());
  for (const auto& q : s.at("queued").as_array()) {
    const auto& entry = q.as_object();
    queued += (queued.empty() ? "" : " ") + cell(entry, "id") + "#" + cell(entry, "position");
  }
  print_fields(out, {{"scope", cell(s, "name")},
                     {"limit", cell(s, "limit")},
                     {"busy", cell(s, "busy")},
                     {"paused", cell(s, "paused")},
                     {"running", running.empty() ? "(none)" : running},
                     {"queued", queued.empty() ? "(none)" : queued}});
}

void add_scope_commands(CLI::App& app, remote_context& ctx) {
  auto* scope = app.add_subcommand("scope", "concurrency scopes: what runs, what queues")
                    ->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto watch = std::make_shared<watch_options>();
  auto* get = scope->add_subcommand("get", "one scope, or every scope without a NAME");
  get->add_option("name", *name, "scope name");
  add_watch_options(get, *watch);
  add_connection_options(get, ctx);
  on_run(get, ctx, [&ctx, name, watch](cli_client& client) {
    return watch_loop(*watch, [&] {
      auto r = client.call("GET", name->empty() ? std::string("/api/v1/scopes")
                                                : "/api/v1/scopes/" + encode_component(*name));
      if (!r.ok()) return client.report(r);
      if (ctx.json) {
        std::cout << r.body << "\n";
        return exit_ok;
      }
      auto answer = parse_answer(r.body);
      if (answer.is_object()) {
        print_scope(std::cout, answer.as_object());
        return exit_ok;
      }
      text_table table({"SCOPE", "LIMIT", "BUSY", "PAUSED", "RUNNING", "QUEUED"});
      for (const auto& item : answer.as_array()) {
        const auto& s = item.as_object();
        table.add({cell(s, "name"), cell(s, "limit"), cell(s, "busy"), cell(s, "paused"),
                   std::to_string(s.at("running").as_array().size()),
                   std::to_string(s.at("queued").as_array().size())});
      }
      table.print(std::cout);
      return exit_ok;
    });
  });

  auto limit_name = std::make_shared<std::string>();
  auto limit = std::make_shared<std::int64_t>(1);
  auto* set_limit = scope->add_subcommand("set-limit", "how many processes of a scope run at once");
  set_limit->add_option("name", *limit_name, "scope name")->required();
  set_limit->add_option("limit", *limit, "processes at once")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  add_connection_options(set_limit, ctx);
  on_run(set_limit, ctx, [&ctx, limit_name, limit](cli_client& client) {
    json::object body;
    body["limit"] = *limit;
    auto r = client.call("PUT", "/api/v1/scopes/" + encode_component(*limit_name),
                         json::serialize(body));
    if (!r.ok()) return client.report(r);
    if (ctx.json)
      std::cout << r.body << "\n";
    else
      print_scope(std::cout, parse_answer(r.body).as_object());
    return exit_ok;
  });
}

void print_client(std::ostream& out, const json::object& c) {
  std::string globs;
  for (const auto& g : c.at("definitions").as_array())
    globs += (globs.empty() ? "" : ",") + std::string(g.as_string());
  print_fields(out, {{"name", cell(c, "name")},
                     {"id", cell(c, "id")},
                     {"role", cell(c, "role")},
                     {"definitions", globs},
                     {"enabled", cell(c, "enabled")},
                     // Shown once: the server keeps only keyed hashes.
                     {"password", cell(c, "password")},
                     {"api key", cell(c, "apiKey")}});
}

struct client_args {
  std::string name, role = "runner", definitions = "*";
};

void add_client_commands(CLI::App& app, remote_context& ctx) {
  auto* client_cmd = app.add_subcommand("client", "API clients of a running server (admins)")
                         ->require_subcommand(1);
  auto a = std::make_shared<client_args>();
  auto* create = client_cmd->add_subcommand("create", "a new client; prints its secrets once");
  create->add_option("name", a->name, "client name")->required();
  create->add_option("--role", a->role, "runner, operator or admin (default runner)")
      ->check(CLI::IsMember({"runner", "operator", "admin"}));
  create->add_option("--definitions", a->definitions,
                     "comma-separated definition name globs, e.g. 'Loan*' (default *)");
  add_connection_options(create, ctx);
  on_run(create, ctx, [&ctx, a](cli_client& client) {
    json::object body;
    body["name"] = a->name;
    body["role"] = a->role;
    json::array globs;
    std::stringstream in(a->definitions);
    for (std::string g; std::getline(in, g, ',');)
      if (!g.empty()) globs.emplace_back(g);
    body["definitions"] = std::move(globs);
    auto r = client.call("POST", "/api/v1/clients", json::serialize(body));
    if (!r.ok()) return client.report(r);
    if (ctx.json)
      std::cout << r.body << "\n";
    else
      print_client(std::cout, parse_answer(r.body).as_object());
    return exit_ok;
  });

  auto* list = client_cmd->add_subcommand("list", "every client");
  add_connection_options(list, ctx);
  on_run(list, ctx, [&ctx](cli_client& client) {
    auto r = client.call("GET", "/api/v1/clients");
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
      return exit_ok;
    }
    text_table table({"NAME", "ROLE", "ENABLED", "DEFINITIONS", "ID"});
    auto answer = parse_answer(r.body);
    for (const auto& item : answer.as_array()) {
      const auto& c = item.as_object();
      table.add({cell(c, "name"), cell(c, "role"), cell(c, "enabled"), cell(c, "definitions"),
                 cell(c, "id")});
    }
    table.print(std::cout);
    return exit_ok;
  });

  // rotate-key, disable, enable and delete: one client by name, answered with the client.
  for (auto [verb, method, route, help] :
       {std::tuple{"rotate-key", "POST", "/rotate",
                   "new password and API key, printed once; the old "
                   "ones stop working"},
        std::tuple{"disable", "POST", "/disable", "refuse the client's credentials until enabled"},
        std::tuple{"enable", "POST", "/enable", "accept a disabled client's credentials again"},
        std::tuple{"delete", "DELETE", "",
                   "delete the client for good: its credentials stop working, its name is free"}}) {
    auto name = std::make_shared<std::string>();
    auto* cmd = client_cmd->add_subcommand(verb, help);
    cmd->add_option("name", *name, "client name")->required();
    add_connection_options(cmd, ctx);
    on_run(cmd, ctx, [&ctx, name, method, route](cli_client& client) {
      std::string body = std::string_view(method) == "POST" ? "{}" : "";
      auto r = client.call(method, "/api/v1/clients/" + encode_component(*name) + route, body);
      if (!r.ok()) return client.report(r);
      if (ctx.json)
        std::cout << r.body << "\n";
      else
        print_client(std::cout, parse_answer(r.body).as_object());
      return exit_ok;
    });
  }
}

void add_cluster_commands(CLI::App& app, remote_context& ctx) {
  auto* cluster = app.add_subcommand("cluster", "the nodes of a cluster")->require_subcommand(1);
  auto* status = cluster->add_subcommand("status", "nodes, liveness and partition owners");
  add_connection_options(status, ctx);
  on_run(status, ctx, [&ctx](cli_client& client) {
    auto r = client.call("GET", "/api/v1/cluster");
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
      return exit_ok;
    }
    auto v = parse_answer(r.body).as_object();
    print_fields(std::cout, {{"node", cell(v, "node")},
                             {"cluster", cell(v, "cluster")},
                             {"clustered", cell(v, "clustered")},
                             {"joined", cell(v, "joined")}});
    std::map<std::string, int> owned;
    for (const auto& p : v.at("partitions").as_array()) owned[cell(p.as_object(), "owner")]++;
    text_table table({"NODE", "API", "ALIVE", "APPLIED REVISION", "PARTITIONS"});
    for (const auto& item : v.at("nodes").as_array()) {
      const auto& n = item.as_object();
      table.add({cell(n, "id"), cell(n, "api"), cell(n, "alive"), cell(n, "appliedRevision"),
                 std::to_string(owned[cell(n, "id")])});
    }
    if (!table.empty()) {
      std::cout << "\n";
      table.print(std::cout);
    }
    return exit_ok;
  });
}

}  // namespace

void add_admin_commands(CLI::App& app, remote_context& ctx) {
  add_scope_commands(app, ctx);
  add_client_commands(app, ctx);
  add_cluster_commands(app, ctx);
}

}  // namespace baton::cmd
