#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/client.hpp"

namespace baton::bench {

/// CPU and memory of a process, read from /proc/PID/stat and /proc/PID/status.
struct proc_sample {
  double cpu_s = 0;          ///< utime + stime
  std::uint64_t rss_kb = 0;  ///< VmRSS
  std::uint64_t hwm_kb = 0;  ///< VmHWM, the peak RSS
  std::uint64_t threads = 0;
  bool ok = false;
};
proc_sample sample_process(pid_t pid);

/// A `baton serve` that the tool runs itself: 127.0.0.1 with an ephemeral port, its own
/// temporary data folder (removed when this goes unless `keep_data`), output to a log in
/// that folder.
class server_process {
 public:
  struct options {
    std::string binary;
    /// Words run before the binary, such as {"valgrind", "--tool=callgrind"}: the process
    /// measured is then the wrapper, which for valgrind is the server itself.
    std::vector<std::string> prefix;
    std::map<std::string, std::string> environment;  ///< BATON_* settings
    std::filesystem::path data_root;  ///< where the temporary folder goes; empty: $TMPDIR
    bool keep_data = false;
  };

  explicit server_process(options opts);
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// Starts the binary (again, on the same data) and waits for "baton listening on".
  /// @returns the time from fork to that line. Throws std::runtime_error when it exits or
  /// does not listen within `limit`.
  std::chrono::nanoseconds start(std::chrono::seconds limit = std::chrono::seconds(600));
  /// SIGTERM, then SIGKILL after 20 s.
  void stop();
  /// SIGKILL at once, as a crash would.
  void kill9();

  pid_t pid() const { return pid_; }
  tcp::endpoint endpoint() const;
  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path log_path() const { return folder_ / "server.log"; }
  /// The last `bytes` of the server's output.
  std::string log_tail(std::size_t bytes = 4000) const;

 private:
  options opts_;
  std::filesystem::path folder_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

/// On SIGINT or SIGTERM, kill every server this process started and remove their folders
/// before exiting, so that an interrupted benchmark leaves nothing running. Call once from
/// main before any thread starts.
void clean_up_on_signal();

/// Waits until GET /readyz answers 200. @returns false on timeout.
bool wait_ready(const tcp::endpoint& server, std::chrono::milliseconds limit);

}  // namespace baton::bench
