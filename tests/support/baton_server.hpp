#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace baton::test {

/// A temporary folder removed when the object goes.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs the real `baton serve` binary on 127.0.0.1 with an ephemeral port and its own data
/// folder; stops it (SIGTERM, then SIGKILL) when destroyed.
struct server_options {
  std::string definitions = std::string(BATON_SOURCE_DIR) + "/examples/definitions";
  std::vector<std::string> extra_args;             ///< e.g. {"--config", "x.toml"}
  std::map<std::string, std::string> environment;  ///< BATON_* overrides
  std::string data_dir;  ///< the data folder; empty: `data` in a temporary folder of its own
};

class baton_server {
 public:
  using options = server_options;
  explicit baton_server(options opts = {});
  ~baton_server();

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_.path(); }
  /// Everything the server printed so far (stdout and stderr).
  std::string output() const;

  /// Starts the binary (again) on the same data folder and waits until it listens.
  void start();
  /// SIGTERM and wait for exit. @returns the exit status.
  int stop();
  /// SIGKILL at once, as a crash would.
  void kill9();
  bool running() const { return pid_ > 0; }
  /// The server process' id while it runs (for /proc readings); -1 otherwise.
  pid_t pid() const { return pid_; }

 private:
  options opts_;
  temp_dir data_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace baton::test
