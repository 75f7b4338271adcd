#include "cmd/cli_target.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>

namespace baton::cmd {

namespace {

std::string lookup(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

/// The first non-empty of `candidates`, in order of precedence.
std::string first_of(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates)
    if (!c.empty()) return c;
  return {};
}

}  // namespace

std::string profiles_path(const std::map<std::string, std::string>& env) {
  if (auto xdg = lookup(env, "XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/baton/cli.toml";
  if (auto home = lookup(env, "HOME"); !home.empty()) return home + "/.config/baton/cli.toml";
  return {};
}

std::map<std::string, std::string> cli_environment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"BATON_URL", "BATON_KEY", "BATON_PROFILE", "HOME", "XDG_CONFIG_HOME"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  return env;
}

std::variant<cli_target, std::string> resolve_target(
    const cli_target_flags& flags, const std::map<std::string, std::string>& env) {
  auto profile_name = first_of({flags.profile, lookup(env, "BATON_PROFILE")});
  std::string profile_url, profile_key, profile_ca;
  auto path = profiles_path(env);
  std::error_code ec;
  bool have_file = !path.empty() && std::filesystem::exists(path, ec);
  if (!profile_name.empty() && !have_file) {
    return "profile \"" + profile_name + "\" named, but there is no profiles file (" +
           (path.empty() ? std::string("set HOME") : path) + ")";
  }
  if (have_file) {
    toml::table file;
    try {
      file = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return path + ": " + std::string(e.description());
    }
    const toml::table* table = nullptr;
    if (profile_name.empty()) {
      table = file["default"].as_table();
    } else {
      table = file["profiles"][profile_name].as_table();
      if (!table) return "no profile \"" + profile_name + "\" in " + path;
    }
    if (table) {
      profile_url = (*table)["url"].value_or(std::string());
      profile_key = (*table)["key"].value_or(std::string());
      profile_ca = (*table)["ca_file"].value_or(std::string());
    }
  }
  cli_target t;
  t.url = first_of({flags.url, lookup(env, "BATON_URL"), profile_url, default_url});
  t.key = first_of({flags.key, lookup(env, "BATON_KEY"), profile_key});
  t.ca_file = first_of({flags.ca_file, profile_ca});
  while (!t.url.empty() && t.url.back() == '/') t.url.pop_back();
  if (!t.url.starts_with("http://") && !t.url.starts_with("https://")) {
    return "the URL must start with http:// or https://: \"" + t.url + "\"";
  }
  return t;
}

}  // namespace baton::cmd
