#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string_view>

namespace baton::test {

child_program::child_program(std::vector<std::string> args, std::string log,
                             const std::map<std::string, std::string>& environment)
    : args_(std::move(args)), log_(std::move(log)) {
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (!environment.contains(std::string(entry.substr(0, entry.find('='))))) {
      environment_.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : environment) environment_.push_back(k + "=" + v);
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : environment_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

void child_program::exec() const {
  auto fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  ::execve(argv_[0], argv_.data(), envp_.data());
  ::_exit(127);
}

}  // namespace baton::test
