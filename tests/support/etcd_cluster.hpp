#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/baton_server.hpp"

namespace baton::test {

/// Real etcd members (`/usr/bin/etcd`, Debian `etcd-server`) on free 127.0.0.1 ports, each
/// with a data folder of its own. The constructor returns once every member is healthy;
/// the destructor stops every member by its pid.
class etcd_cluster {
 public:
  /// @throws std::runtime_error when etcd is missing or a member does not become healthy.
  explicit etcd_cluster(int members = 1);
  ~etcd_cluster();
  etcd_cluster(const etcd_cluster&) = delete;
  etcd_cluster& operator=(const etcd_cluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  /// Client URLs, "http://127.0.0.1:PORT", one per member.
  std::vector<std::string> endpoints() const;
  std::string endpoint(int i) const;
  std::uint16_t client_port(int i) const { return members_.at(i).client_port; }

  /// SIGKILL, and reap: as a crash would.
  void kill(int i);
  /// SIGSTOP / SIGCONT: a member that hangs without closing its connections.
  void pause(int i);
  void resume(int i);
  /// Starts member `i` again on its data folder and ports (killing it first if it runs) and
  /// waits until it is healthy.
  void restart(int i);
  bool running(int i) const { return members_.at(i).pid > 0; }
  /// Polls `/health` of member `i` until it says true, for at most 30 s.
  void wait_healthy(int i) const;

 private:
  struct member {
    std::string name;
    std::uint16_t client_port = 0;
    std::uint16_t peer_port = 0;
    std::filesystem::path data;
    std::filesystem::path log;
    pid_t pid = -1;
    bool started_before = false;
  };
  void start(int i);

  temp_dir dir_;
  std::vector<member> members_;
  std::string initial_cluster_;
};

}  // namespace baton::test
