#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/backup.hpp"

namespace baton::storage {

class db;

/// A copy of a live store that travels between the nodes of a cluster in one HTTP body: a
/// node whose store is behind the cluster's trimmed log (a new, empty folder) seeds it from a
/// peer instead of needing a copy of a data folder by hand.
///
/// The archive is "baton-snapshot 1\n", then for each file of a RocksDB checkpoint its name
/// and its size in decimal, each on a line of its own, and its bytes.

/// Packs a checkpoint of `database` (whose data folder is `data_dir`) into `archive`. The
/// checkpoint is made in a scratch folder inside `data_dir` and removed after. Fails with
/// `too_large` beyond `limit` bytes: the archive is held in memory.
backup_outcome pack_snapshot(const db& database, const std::string& data_dir, std::uint64_t limit,
                             std::string& archive);

/// Makes the store packed in `archive` the one of `data_dir`: unpacked beside `data_dir/db`,
/// opened once to check it, then swapped in. The store that was there is kept as
/// `data_dir/db.behind-<suffix>` for the operator to remove. Nothing may hold `data_dir/db`
/// open. `not_a_backup` when the archive is malformed.
backup_outcome install_snapshot(std::string_view archive, const std::string& data_dir,
                                std::string_view suffix);

}  // namespace baton::storage
