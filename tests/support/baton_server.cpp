#include "tests/support/baton_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/child_process.hpp"

namespace baton::test {

temp_dir::temp_dir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("baton-test-" + std::to_string(rd()) + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

baton_server::baton_server(options opts) : opts_(std::move(opts)) {
  log_ = data_.path() / "server.log";
  start();
}

baton_server::~baton_server() {
  if (pid_ > 0) stop();
}

std::string baton_server::output() const {
  std::ifstream in(log_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void baton_server::start() {
  if (pid_ > 0) throw std::logic_error("server already running");
  std::vector<std::string> args = {
      BATON_BINARY, "serve",
      "--listen",   "127.0.0.1:0",
      "--data",     opts_.data_dir.empty() ? (data_.path() / "data").string() : opts_.data_dir};
  if (!opts_.definitions.empty()) {
    args.push_back("--definitions");
    args.push_back(opts_.definitions);
  }
  args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  // Tests that configure no auth get an open server (auth.required = false); a test that
  // sets any BATON_AUTH__ variable gets the real, secure default.
  auto environment = opts_.environment;
  bool configures_auth = false;
  for (const auto& [k, v] : environment) configures_auth |= k.rfind("BATON_AUTH__", 0) == 0;
  if (!configures_auth) environment["BATON_AUTH__REQUIRED"] = "false";
  child_program program(std::move(args), log_.string(), environment);
  auto offset = std::filesystem::exists(log_) ? std::filesystem::file_size(log_) : 0;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) program.exec();
  // Wait for "baton listening on 127.0.0.1:PORT" in this run's part of the log.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = output().substr(offset);
    auto at = text.find("baton listening on ");
    if (at != std::string::npos) {
      auto line_end = text.find('\n', at);
      if (line_end != std::string::npos) {
        auto line = text.substr(at, line_end - at);
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        return;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("baton exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
  throw std::runtime_error("baton did not start listening within 30 s:\n" + output());
}

int baton_server::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {  // 15 s, then force
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill9();
  return -1;
}

void baton_server::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace baton::test
