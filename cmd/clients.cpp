#include "http/auth/clients.hpp"

#include <future>
#include <iostream>
#include <sstream>

#include "cmd/commands.hpp"
#include "storage/process_store.hpp"

namespace baton::cmd {

namespace {

void print(const http::auth::client& c) {
  std::cout << c.name << "\t" << to_string(c.role) << "\t" << (c.enabled ? "enabled" : "disabled")
            << "\t";
  for (std::size_t i = 0; i < c.definitions.size(); ++i)
    std::cout << (i ? "," : "") << c.definitions[i];
  std::cout << "\t" << c.id << "\n";
}

}  // namespace

int clients_command(const std::string& data_dir, const std::string& action, const std::string& name,
                    const std::string& role_name, const std::string& definitions) {
  auto opened = storage::process_store::open(data_dir, true);
  if (!opened.ok()) {
    std::cerr << "cannot open " << data_dir
              << " (stop the server, or use /api/v1/clients): " << opened.error().describe()
              << "\n";
    return 1;
  }
  auto store = std::move(opened).value();
  http::auth::client_directory clients(*store);
  if (action == "list") {
    for (const auto& c : clients.list()) print(c);
    return 0;
  }
  std::promise<http::auth::client_directory::result> done;
  auto callback = [&done](http::auth::client_directory::result r) { done.set_value(std::move(r)); };
  if (action == "create") {
    auto r = http::auth::parse_role(role_name);
    if (!r) {
      std::cerr << "--role must be runner, operator or admin\n";
      return 2;
    }
    std::vector<std::string> globs;
    std::stringstream in(definitions);
    for (std::string g; std::getline(in, g, ',');) {
      if (!g.empty()) globs.push_back(g);
    }
    clients.create(name, *r, globs, callback);
  } else if (action == "rotate") {
    clients.rotate(name, callback);
  } else if (action == "disable" || action == "enable") {
    clients.set_enabled(name, action == "enable", callback);
  } else {
    std::cerr << "unknown action " << action << "\n";
    return 2;
  }
  auto result = done.get_future().get();
  if (auto* error = std::get_if<http::auth::client_error>(&result)) {
    std::cerr << error->message;
    if (!error->written.ok()) std::cerr << ": " << error->written.describe();
    std::cerr << "\n";
    return 1;
  }
  auto& [c, secrets] = std::get<0>(result);
  print(c);
  if (!secrets.api_key.empty()) {
    // Shown once: only keyed hashes are stored.
    std::cout << "password: " << secrets.password << "\napi key:  " << secrets.api_key << "\n";
  }
  return 0;
}

}  // namespace baton::cmd
