#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace baton::cmd {

/// `baton serve`: runs the server until SIGINT or SIGTERM. @returns the exit code.
/// With `print_routes` it prints every route it would serve ("METHOD pattern" per line,
/// the same registration as a real start) and exits without listening.
int serve(const std::optional<std::string>& config_file,
          const std::map<std::string, std::string>& flags, bool print_routes = false);

/// `baton cron next EXPR`: prints the next fire times after `from`, or after `now_ms` when
/// `from` is empty. @returns the exit code.
int cron_next(const std::string& expr, const std::string& tz, const std::string& from,
              std::size_t count, std::int64_t now_ms);

/// `baton db dump`: prints stored records as JSON lines. @returns the exit code.
int db_dump(const std::string& data_dir, const std::string& family, const std::string& prefix);

/// `baton db check`: checks that every record decodes and every index agrees with the
/// processes (storage::check); prints one line per problem, then a summary.
/// @returns 0 when consistent, 1 when not, 2 when there is no store to check.
int db_check(const std::string& data_dir);

/// `baton db restore`: makes the data folder `data_dir` from the backup in `from`.
/// @returns 0 when restored, 2 for a refused source or target, 1 when copying failed.
int db_restore(const std::string& from, const std::string& data_dir);

/// `baton clients create|list|disable|enable|rotate`: manages clients in the store directly
/// (with the server stopped; a running server offers the same over /api/v1/clients).
int clients_command(const std::string& data_dir, const std::string& action, const std::string& name,
                    const std::string& role, const std::string& definitions);

}  // namespace baton::cmd
