#include "tests/support/etcd_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/test_client.hpp"

namespace baton::test {

namespace {

constexpr const char* etcd_binary = "/usr/bin/etcd";

/// A port that was free a moment ago: the kernel's pick for a socket bound to port 0.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to a free port failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

etcd_cluster::etcd_cluster(int members) {
  if (::access(etcd_binary, X_OK) != 0)
    throw std::runtime_error("etcd not found at /usr/bin/etcd: install etcd-server (make deps)");
  for (int i = 0; i < members; ++i) {
    member m;
    m.name = "m" + std::to_string(i);
    m.client_port = free_port();
    m.peer_port = free_port();
    m.data = dir_.path() / m.name;
    m.log = dir_.path() / (m.name + ".log");
    if (!initial_cluster_.empty()) initial_cluster_ += ",";
    initial_cluster_ += m.name + "=" + url(m.peer_port);
    members_.push_back(std::move(m));
  }
  for (int i = 0; i < members; ++i) start(i);
  try {
    for (int i = 0; i < members; ++i) wait_healthy(i);
  } catch (...) {
    for (int i = 0; i < members; ++i) kill(i);
    throw;
  }
}

etcd_cluster::~etcd_cluster() {
  for (int i = 0; i < size(); ++i) {
    if (members_[i].pid > 0) ::kill(members_[i].pid, SIGCONT);  // a paused member cannot die
    kill(i);
  }
}

std::vector<std::string> etcd_cluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(endpoint(i));
  return out;
}

std::string etcd_cluster::endpoint(int i) const { return url(members_.at(i).client_port); }

void etcd_cluster::start(int i) {
  auto& m = members_.at(i);
  std::vector<std::string> args = {
      etcd_binary, "--name", m.name, "--data-dir", m.data.string(), "--listen-client-urls",
      url(m.client_port), "--advertise-client-urls", url(m.client_port), "--listen-peer-urls",
      url(m.peer_port), "--initial-advertise-peer-urls", url(m.peer_port), "--initial-cluster",
      initial_cluster_, "--initial-cluster-state", m.started_before ? "existing" : "new",
      "--initial-cluster-token", "baton-test",
      // Fast elections: tests kill members and wait for a leader.
      "--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "warn"};
  child_program program(std::move(args), m.log.string());
  m.pid = ::fork();
  if (m.pid < 0) throw std::runtime_error("fork failed");
  if (m.pid == 0) program.exec();
  m.started_before = true;
}

void etcd_cluster::wait_healthy(int i) const {
  const auto& m = members_.at(i);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (m.pid > 0 && ::waitpid(m.pid, &status, WNOHANG) == m.pid)
      throw std::runtime_error("etcd " + m.name + " exited at start:\n" + read_file(m.log));
    try {
      auto res = http_call(m.client_port, "GET", "/health");
      if (res.status == 200 && res.body.find("\"true\"") != std::string::npos) return;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("etcd " + m.name + " not healthy within 30 s:\n" + read_file(m.log));
}

void etcd_cluster::kill(int i) {
  auto& m = members_.at(i);
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  int status = 0;
  ::waitpid(m.pid, &status, 0);
  m.pid = -1;
}

void etcd_cluster::pause(int i) {
  if (members_.at(i).pid > 0) ::kill(members_[i].pid, SIGSTOP);
}

void etcd_cluster::resume(int i) {
  if (members_.at(i).pid > 0) ::kill(members_[i].pid, SIGCONT);
}

void etcd_cluster::restart(int i) {
  kill(i);
  start(i);
  wait_healthy(i);
}

}  // namespace baton::test
