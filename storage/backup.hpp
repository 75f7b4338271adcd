#pragma once

#include <cstdint>
#include <string>

namespace baton::storage {

class db;

/// Why a backup or a restore did not happen. The first ones are the caller's mistake (the
/// detail may be shown to them); `io` is ours (the detail names internal paths: log it).
enum class backup_errc : std::uint8_t {
  ok,
  not_absolute,  ///< the target is not an absolute path
  not_empty,     ///< the target exists and is not an empty folder
  inside_data,   ///< the target lies in the live data folder
  not_a_backup,  ///< restore: the source holds no backup
  io,            ///< reading or writing failed
  too_large,     ///< a snapshot: the store is larger than one may be (`pack_snapshot`)
};

/// What a backup or a restore made: a data folder whose `db` holds the copy.
struct backup_summary {
  std::string folder;
  std::uint64_t sequence = 0;  ///< the last write sequence number in the copy (backup only)
  std::uint64_t bytes = 0;     ///< the size of the copy's files
  std::uint64_t files = 0;
};

struct backup_outcome {
  backup_errc code = backup_errc::ok;
  std::string detail;  ///< why, when `code` is not ok
  backup_summary summary;
  bool ok() const { return code == backup_errc::ok; }
};

/// Takes a consistent copy of `database`, whose data folder is `data_dir`, into the folder
/// `to` while it serves: `to` becomes a data folder of its own (`to/db`), which `restore`
/// turns into a server's data folder. `to` must be absolute, outside `data_dir`, and must
/// not exist or be an empty folder; its parents are created.
backup_outcome backup(const db& database, const std::string& data_dir, const std::string& to);

/// Makes the data folder `data_dir` from the backup in `from`: copies its files (no links
/// to the backup's) and checks that the copy opens. `data_dir` must not exist or be empty;
/// on failure what was copied is removed again.
backup_outcome restore(const std::string& from, const std::string& data_dir);

}  // namespace baton::storage
