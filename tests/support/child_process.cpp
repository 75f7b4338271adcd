#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace baton::test {

void exec_logged(const std::string& log, std::vector<std::string>& args) {
  auto fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace baton::test
