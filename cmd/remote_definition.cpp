// `baton definition deploy|list|get`.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/cli_client.hpp"
#include "cmd/remote.hpp"

namespace baton::cmd {

namespace {

/// The definition's name: `--name`, else the file's "name", else the file name without
/// its extension (as `--definitions` folders name them).
std::string name_of(const std::string& given, const std::string& text, const std::string& file) {
  if (!given.empty()) return given;
  json::error_code ec;
  auto parsed = json::parse(text, ec);
  if (!ec && parsed.is_object()) {
    if (auto* n = parsed.as_object().if_contains("name"); n && n->is_string())
      return std::string(n->as_string());
  }
  if (file == "-") throw CLI::ValidationError("--name", "standard input names no definition");
  return std::filesystem::path(file).stem().string();
}

void add_deploy(CLI::App* definition, remote_context& ctx) {
  auto file = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto* cmd = definition->add_subcommand(
      "deploy", "deploy a definition from a JSON file (a changed body becomes a new version)");
  cmd->add_option("file", *file, "definition JSON file ('-' reads standard input)")->required();
  cmd->add_option("--name", *name, "definition name (default: its \"name\", else the file name)");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, file, name](cli_client& client) {
    std::stringstream text;
    if (*file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(*file);
      if (!in) throw CLI::ValidationError("file", "cannot read " + *file);
      text << in.rdbuf();
    }
    auto body = text.str();
    auto definition_name = name_of(*name, body, *file);
    auto r = client.call("PUT", "/api/v1/definitions/" + encode_component(definition_name),
                         std::move(body));
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
    } else {
      auto d = parse_answer(r.body).as_object();
      std::cout << (r.status == 201 ? "deployed " : "unchanged ") << definition_name << " version "
                << cell(d, "version") << "\n";
    }
    return exit_ok;
  });
}

void add_list(CLI::App* definition, remote_context& ctx) {
  auto retired = std::make_shared<bool>(false);
  auto* cmd = definition->add_subcommand("list", "the latest version of every definition");
  cmd->add_flag("--retired", *retired, "list retired definitions too");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, retired](cli_client& client) {
    auto r =
        client.call("GET", std::string("/api/v1/definitions") + (*retired ? "?retired=true" : ""));
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
      return exit_ok;
    }
    text_table table({"NAME", "VERSION", "INPUTS", "STEPS", "RETIRED"});
    auto answer = parse_answer(r.body);
    for (const auto& item : answer.as_array()) {
      const auto& d = item.as_object();
      std::string inputs;
      if (auto* in = d.if_contains("inputs"); in && in->is_object()) {
        for (const auto& [k, v] : in->as_object())
          inputs += (inputs.empty() ? "" : ",") + std::string(k);
      }
      auto* steps = d.if_contains("steps");
      auto count = steps && steps->is_array() ? steps->as_array().size() : 0;
      auto* gone = d.if_contains("retiredAt");
      table.add({cell(d, "name"), cell(d, "version"), inputs.empty() ? "-" : inputs,
                 std::to_string(count), gone ? cell(d, "retiredAt") : "-"});
    }
    table.print(std::cout);
    return exit_ok;
  });
}

void add_get(CLI::App* definition, remote_context& ctx) {
  auto name = std::make_shared<std::string>();
  auto version = std::make_shared<std::int64_t>(0);
  auto* cmd = definition->add_subcommand("get", "one definition, as deployed");
  cmd->add_option("name", *name, "definition name")->required();
  cmd->add_option("--version", *version, "this version (default: the latest)");
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, name, version](cli_client& client) {
    std::string path = "/api/v1/definitions/" + encode_component(*name);
    if (*version > 0) path += "?version=" + std::to_string(*version);
    auto r = client.call("GET", path);
    if (!r.ok()) return client.report(r);
    std::cout << (ctx.json ? r.body : pretty_json(parse_answer(r.body))) << "\n";
    return exit_ok;
  });
}

void add_retire(CLI::App* definition, remote_context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd = definition->add_subcommand(
      "retire",
      "stop new starts of a definition (running processes finish; deploy brings it back)");
  cmd->add_option("name", *name, "definition name")->required();
  add_connection_options(cmd, ctx);
  on_run(cmd, ctx, [&ctx, name](cli_client& client) {
    auto r = client.call("DELETE", "/api/v1/definitions/" + encode_component(*name));
    if (!r.ok()) return client.report(r);
    if (ctx.json) {
      std::cout << r.body << "\n";
    } else {
      std::cout << "retired " << *name << " at "
                << cell(parse_answer(r.body).as_object(), "retiredAt") << "\n";
    }
    return exit_ok;
  });
}

}  // namespace

void add_definition_commands(CLI::App& app, remote_context& ctx) {
  auto* definition =
      app.add_subcommand("definition", "deploy and read definitions")->require_subcommand(1);
  add_deploy(definition, ctx);
  add_list(definition, ctx);
  add_get(definition, ctx);
  add_retire(definition, ctx);
}

}  // namespace baton::cmd
