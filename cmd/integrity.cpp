// `baton db check` and `baton db restore`: the offline half of backups. The online half,
// taking one, is POST /api/v1/admin/backup (http/admin_api.cpp).
#include <filesystem>
#include <iostream>

#include "cmd/commands.hpp"
#include "storage/backup.hpp"
#include "storage/check.hpp"
#include "storage/db.hpp"

namespace baton::cmd {

int db_check(const std::string& data_dir) {
  std::error_code ec;
  // Opening creates a missing database: an empty one would pass, and say nothing.
  if (!std::filesystem::is_regular_file(data_dir + "/db/CURRENT", ec)) {
    std::cerr << "no store in " << data_dir << " (no db/CURRENT)\n";
    return 2;
  }
  auto opened = storage::db::open(data_dir + "/db", false);
  if (!opened.ok()) {
    std::cerr << "cannot open " << data_dir
              << " (is a server running on it?): " << opened.error().describe() << "\n";
    return 2;
  }
  auto report = storage::check(*opened.value());
  for (const auto& p : report.problems) std::cout << p.to_string() << "\n";
  if (report.more_problems) std::cout << "... and " << report.more_problems << " more\n";
  std::cout << report.summary() << std::endl;
  return report.ok() ? 0 : 1;
}

int db_restore(const std::string& from, const std::string& data_dir) {
  auto made = storage::restore(from, data_dir);
  if (!made.ok()) {
    std::cerr << "cannot restore " << from << " into " << data_dir << ": " << made.detail << "\n";
    return made.code == storage::backup_errc::io ? 1 : 2;
  }
  std::cout << "restored " << made.summary.files << " files (" << made.summary.bytes
            << " bytes) into " << made.summary.folder << "; check it with: baton db check --data "
            << made.summary.folder << std::endl;
  return 0;
}

}  // namespace baton::cmd
