#pragma once

#include <map>
#include <optional>
#include <string>

namespace baton::cmd {

/// `baton serve`: runs the server until SIGINT or SIGTERM. @returns the exit code.
int serve(const std::optional<std::string>& config_file,
          const std::map<std::string, std::string>& flags);

/// `baton cron next EXPR`: prints the next fire times. @returns the exit code.
int cron_next(const std::string& expr, const std::string& tz, const std::string& from,
              std::size_t count);

/// `baton db dump`: prints stored records as JSON lines. @returns the exit code.
int db_dump(const std::string& data_dir, const std::string& family, const std::string& prefix);

}  // namespace baton::cmd
