#include "bench/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

namespace baton::bench {

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The servers alive now, for clean_up_on_signal.
struct registry {
  std::mutex mutex;
  std::set<server_process*> servers;
};
registry& live_servers() {
  static registry r;
  return r;
}

}  // namespace

void clean_up_on_signal() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([stop] {
    int signal = 0;
    sigwait(&stop, &signal);
    std::lock_guard lock{live_servers().mutex};
    for (auto* s : live_servers().servers) {
      if (s->pid() > 0) ::kill(-s->pid(), SIGKILL);
      std::error_code ec;
      std::filesystem::remove_all(s->folder(), ec);
    }
    std::fprintf(stderr, "\nbaton-bench: interrupted; servers stopped\n");
    std::_Exit(128 + signal);
  }).detach();
}

proc_sample sample_process(pid_t pid) {
  proc_sample out;
  if (pid <= 0) return out;
  auto dir = std::filesystem::path("/proc") / std::to_string(pid);
  auto stat = read_file(dir / "stat");
  // The command name is in parentheses and may hold spaces: count fields after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  out.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::istringstream status(read_file(dir / "status"));
  std::string line;
  while (std::getline(status, line)) {
    auto value = [&] { return std::stoull(line.substr(line.find(':') + 1)); };
    if (line.rfind("VmRSS:", 0) == 0)
      out.rss_kb = value();
    else if (line.rfind("VmHWM:", 0) == 0)
      out.hwm_kb = value();
    else if (line.rfind("Threads:", 0) == 0)
      out.threads = value();
  }
  out.ok = out.rss_kb > 0;
  return out;
}

server_process::server_process(options opts) : opts_(std::move(opts)) {
  auto root = opts_.data_root.empty() ? std::filesystem::temp_directory_path() : opts_.data_root;
  std::random_device rd;
  folder_ = root / ("baton-bench-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(folder_);
  std::lock_guard lock{live_servers().mutex};
  live_servers().servers.insert(this);
}

server_process::~server_process() {
  {
    std::lock_guard lock{live_servers().mutex};
    live_servers().servers.erase(this);
  }
  if (pid_ > 0) kill9();
  if (!opts_.keep_data) {
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
  }
}

std::chrono::nanoseconds server_process::start(std::chrono::seconds limit) {
  if (pid_ > 0) throw std::logic_error("server already running");
  std::vector<std::string> args = opts_.prefix;
  for (auto a : {opts_.binary, std::string("serve"), std::string("--listen"),
                 std::string("127.0.0.1:0"), std::string("--data"), (folder_ / "data").string()}) {
    args.push_back(std::move(a));
  }
  auto log = log_path();
  auto offset = std::filesystem::exists(log) ? std::filesystem::file_size(log) : 0;
  // The child's argv and environment are built here: between fork and exec a child of this
  // threaded tool may make only async-signal-safe calls (no setenv, no allocation), or it
  // can wait forever on a lock another thread held at the fork.
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (!opts_.environment.contains(std::string(entry.substr(0, entry.find('='))))) {
      environment.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : opts_.environment) environment.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Should the tool die without cleaning up, the server goes with it. Its own process
    // group: a `--server-prefix` command (perf, timeout) may run the server as its child,
    // and the signals below go to the whole group.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);  // the tool blocks SIGTERM; the server must not
    auto fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    environ = envp.data();  // a pointer store; execvp looks the program up in PATH
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // as the child does: whichever runs first, the group is there
  auto deadline = t0 + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = read_file(log).substr(offset);
    auto at = text.find("baton listening on ");
    if (at != std::string::npos) {
      auto line_end = text.find('\n', at);
      if (line_end != std::string::npos) {
        auto line = text.substr(at, line_end - at);
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        return std::chrono::steady_clock::now() - t0;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("baton exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill9();
  throw std::runtime_error("baton did not listen in time:\n" + log_tail());
}

void server_process::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 400; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill9();
}

void server_process::kill9() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

tcp::endpoint server_process::endpoint() const {
  return {asio::ip::make_address("127.0.0.1"), port_};
}

std::string server_process::log_tail(std::size_t bytes) const {
  auto text = read_file(log_path());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

bool wait_ready(const tcp::endpoint& server, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = fetch(server, "GET", "/readyz", {}, {}, std::chrono::seconds(5));
    if (r.status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace baton::bench
