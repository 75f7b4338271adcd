#pragma once

#include <string>
#include <vector>

namespace baton::test {

/// In a forked child: sends standard output and error to the end of `log`, then runs
/// `args[0]` with `args`. Never returns (exit 127 when the program cannot be run).
[[noreturn]] void exec_logged(const std::string& log, std::vector<std::string>& args);

}  // namespace baton::test
