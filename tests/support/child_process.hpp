#pragma once

#include <map>
#include <string>
#include <vector>

namespace baton::test {

/// A program to run in a forked child, everything it needs built before the fork. Between
/// fork and exec the child of a threaded process may make only async-signal-safe calls:
/// malloc (behind setenv, or a vector's growth) can find its lock held by a thread that does
/// not exist in the child, and wait forever. Seen under ASan: a server that never wrote a line.
class child_program {
 public:
  /// `args[0]` is the program's path; `environment` is set over the parent's environment;
  /// standard output and error go to the end of `log`.
  child_program(std::vector<std::string> args, std::string log,
                const std::map<std::string, std::string>& environment = {});
  child_program(const child_program&) = delete;
  child_program& operator=(const child_program&) = delete;

  /// In the forked child: redirects, then runs the program. Never returns (exit 127 when
  /// the program cannot be run).
  [[noreturn]] void exec() const;

 private:
  std::vector<std::string> args_, environment_;
  std::string log_;
  std::vector<char*> argv_, envp_;  ///< into the strings above, null-terminated
};

}  // namespace baton::test
