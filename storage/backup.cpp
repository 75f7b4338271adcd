#include "storage/backup.hpp"

#include <filesystem>
#include <system_error>
#include <variant>

#include "storage/db.hpp"

namespace baton::storage {

namespace fs = std::filesystem;

namespace {

/// The database's folder inside a data folder, as process_store::open lays it out.
fs::path db_folder(const fs::path& data_dir) { return data_dir / "db"; }

backup_outcome failed(backup_errc code, std::string detail) {
  return {code, std::move(detail), {}};
}

/// Why `folder` cannot receive a copy: it must not exist or be an empty folder.
backup_outcome check_target(const fs::path& folder, std::string_view what) {
  std::error_code ec;
  auto state = fs::status(folder, ec);
  if (ec == std::errc::not_a_directory) {  // a file stands where one of its parents would
    return failed(backup_errc::not_empty, std::string(what) + " is below a file");
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return failed(backup_errc::io, "cannot inspect " + folder.string() + ": " + ec.message());
  }
  if (!fs::exists(state)) return {};
  if (!fs::is_directory(state)) {
    return failed(backup_errc::not_empty, std::string(what) + " exists and is not a folder");
  }
  if (!fs::is_empty(folder, ec) || ec) {
    return failed(ec ? backup_errc::io : backup_errc::not_empty,
                  ec ? "cannot list " + folder.string() + ": " + ec.message()
                     : std::string(what) + " is not empty");
  }
  return {};
}

/// Counts the files of `folder` and their bytes into `s`.
std::error_code measure(const fs::path& folder, backup_summary& s) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto size = it->file_size(ec);
    if (ec) break;
    s.bytes += size;
    ++s.files;
  }
  return ec;
}

}  // namespace

backup_outcome backup(const db& database, const std::string& data_dir, const std::string& to) {
  fs::path target(to);
  if (!target.is_absolute()) return failed(backup_errc::not_absolute, "must be an absolute path");
  target = target.lexically_normal();
  // Compared with links resolved: a path through a link into the data folder is inside it.
  std::error_code ec;
  auto live = fs::weakly_canonical(data_dir, ec);
  if (ec) return failed(backup_errc::io, "cannot resolve " + data_dir + ": " + ec.message());
  auto wanted = fs::weakly_canonical(target, ec);
  if (ec) return failed(backup_errc::io, "cannot resolve " + to + ": " + ec.message());
  auto relative = wanted.lexically_relative(live);
  if (!relative.empty() && *relative.begin() != "..") {
    return failed(backup_errc::inside_data, "must lie outside the server's data folder");
  }
  if (auto why = check_target(target, "the folder"); !why.ok()) {
    if (why.code == backup_errc::not_empty) why.detail = "must be a new or empty folder";
    return why;
  }
  fs::create_directories(target, ec);
  if (ec) return failed(backup_errc::io, "cannot create " + to + ": " + ec.message());

  backup_outcome out;
  out.summary.folder = target.string();
  // RocksDB creates the checkpoint's folder itself and refuses one that exists; the target
  // may exist (empty), so the copy goes one level down, where a data folder keeps it.
  if (auto made = database.checkpoint(db_folder(target).string(), out.summary.sequence);
      !made.ok()) {
    return failed(backup_errc::io, "checkpoint into " + to + ": " + made.describe());
  }
  if (auto error = measure(target, out.summary)) {
    return failed(backup_errc::io, "cannot measure " + to + ": " + error.message());
  }
  return out;
}

backup_outcome restore(const std::string& from, const std::string& data_dir) {
  fs::path source = db_folder(from);
  std::error_code ec;
  if (!fs::is_regular_file(source / "CURRENT", ec)) {
    return failed(backup_errc::not_a_backup, "no backup in " + from + " (no db/CURRENT)");
  }
  fs::path target(data_dir);
  if (auto why = check_target(target, data_dir); !why.ok()) return why;
  fs::create_directories(target, ec);
  if (ec) return failed(backup_errc::io, "cannot create " + data_dir + ": " + ec.message());
  auto undo = [&](std::string why) {
    std::error_code ignored;
    fs::remove_all(db_folder(target), ignored);
    return failed(backup_errc::io, std::move(why));
  };
  // Copies, not hard links: the restored store then shares nothing with the backup, which
  // stays a backup whatever the new server later does on its volume.
  fs::copy(source, db_folder(target), fs::copy_options::recursive, ec);
  if (ec) return undo("cannot copy " + source.string() + ": " + ec.message());
  {
    auto opened = db::open(db_folder(target).string(), false);
    if (!opened.ok()) return undo("the copy does not open: " + opened.error().describe());
  }
  backup_outcome out;
  out.summary.folder = target.string();
  if (auto error = measure(target, out.summary)) {
    return failed(backup_errc::io, "cannot measure " + data_dir + ": " + error.message());
  }
  return out;
}

}  // namespace baton::storage
