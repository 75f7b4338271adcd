#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "cmd/cli_output.hpp"

namespace baton::cmd {

/// `name  value` lines, the names aligned; pairs whose value is "-" are left out.
void print_fields(std::ostream& out,
                  const std::vector<std::pair<std::string, std::string>>& fields);

/// A process document (GET /api/v1/processes/{id}) for people: its fields, then its steps.
void print_process(std::ostream& out, const json::object& process);

/// A schedule document (GET /api/v1/schedules/{id}) for people.
void print_schedule(std::ostream& out, const json::object& schedule);

}  // namespace baton::cmd
