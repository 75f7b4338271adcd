#include "storage/snapshot.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "storage/db.hpp"

namespace baton::storage {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view magic = "baton-snapshot 1\n";

backup_outcome failed(backup_errc code, std::string detail) {
  return {code, std::move(detail), {}};
}

/// Removes a folder when it goes out of scope: scratch space must not outlive the call.
struct scratch_folder {
  fs::path path;
  ~scratch_folder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

/// The next line of `in` from `at` (without its '\n'); advances `at`. False at the end.
bool next_line(std::string_view in, std::size_t& at, std::string_view& line) {
  auto end = in.find('\n', at);
  if (end == std::string_view::npos) return false;
  line = in.substr(at, end - at);
  at = end + 1;
  return true;
}

/// A file name a checkpoint can hold: one plain name, no path.
bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

backup_outcome pack_snapshot(const db& database, const std::string& data_dir, std::uint64_t limit,
                             std::string& archive) {
  static std::atomic<unsigned> serial{0};
  scratch_folder scratch{fs::path(data_dir) / ("snapshot.tmp-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(++serial))};
  backup_outcome out;
  if (auto made = database.checkpoint(scratch.path.string(), out.summary.sequence); !made.ok()) {
    return failed(backup_errc::io, "checkpoint: " + made.describe());
  }
  archive.assign(magic);
  std::error_code ec;
  for (fs::directory_iterator it(scratch.path, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto size = it->file_size(ec);
    if (ec) break;
    if (archive.size() + size > limit) {
      return failed(backup_errc::too_large, "the store is larger than a snapshot may be (" +
                                                std::to_string(limit) + " bytes)");
    }
    auto name = it->path().filename().string();
    archive += name + "\n" + std::to_string(size) + "\n";
    std::ifstream file(it->path(), std::ios::binary);
    archive.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    if (!file.good() && !file.eof()) return failed(backup_errc::io, "cannot read " + name);
    out.summary.bytes += size;
    ++out.summary.files;
  }
  if (ec) return failed(backup_errc::io, "cannot list the checkpoint: " + ec.message());
  return out;
}

backup_outcome install_snapshot(std::string_view archive, const std::string& data_dir,
                                std::string_view suffix) {
  if (!archive.starts_with(magic)) return failed(backup_errc::not_a_backup, "not a snapshot");
  const fs::path live = fs::path(data_dir) / "db";
  scratch_folder unpacked{fs::path(data_dir) / "db.seeding"};
  std::error_code ec;
  fs::remove_all(unpacked.path, ec);  // what an earlier attempt left
  fs::create_directories(unpacked.path, ec);
  if (ec) return failed(backup_errc::io, "cannot create " + unpacked.path.string());
  backup_outcome out;
  for (std::size_t at = magic.size(); at < archive.size();) {
    std::string_view name, size_text;
    std::uint64_t size = 0;
    if (!next_line(archive, at, name) || !next_line(archive, at, size_text) || !plain_name(name) ||
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size).ec !=
            std::errc{} ||
        size > archive.size() - at) {
      return failed(backup_errc::not_a_backup, "the snapshot is malformed or cut short");
    }
    std::ofstream file(unpacked.path / std::string(name), std::ios::binary);
    file.write(archive.data() + at, static_cast<std::streamsize>(size));
    file.close();
    if (!file) return failed(backup_errc::io, "cannot write " + std::string(name));
    at += size;
    out.summary.bytes += size;
    ++out.summary.files;
  }
  {
    auto opened = db::open(unpacked.path.string(), false);
    if (!opened.ok()) {
      return failed(backup_errc::not_a_backup,
                    "the snapshot does not open: " + opened.error().describe());
    }
  }
  if (fs::exists(live, ec)) {
    fs::rename(live, fs::path(data_dir) / ("db.behind-" + std::string(suffix)), ec);
    if (ec) return failed(backup_errc::io, "cannot move the old store aside: " + ec.message());
  }
  fs::rename(unpacked.path, live, ec);
  if (ec) return failed(backup_errc::io, "cannot swap the snapshot in: " + ec.message());
  out.summary.folder = data_dir;
  return out;
}

}  // namespace baton::storage
