#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/fault_injection.hpp"
#include "storage/status.hpp"

namespace baton::storage {

/// The column families of DESIGN.md, in the order they are opened.
enum class cf : std::uint8_t {
  definitions,
  processes,
  history,
  scopes,
  schedules,
  idempotency,
  indexes,
  auth,
  meta,
};
inline constexpr std::size_t cf_count = 9;
std::string_view cf_name(cf c);

/// Whose records a batch holds, for a cluster's fencing (DESIGN.md, Cluster): a partition's
/// records only its owner may write; cluster-wide ones (definitions, clients, grants, the
/// audit log) any live node. A single node ignores it.
struct write_scope {
  static constexpr std::uint32_t unassigned = 0xffffffff;  ///< refused in a cluster
  static constexpr std::uint32_t cluster_wide = 0xfffffffe;
  std::uint32_t partition = unassigned;
  /// The owner's epoch the writer acted under; 0: whatever the current one is. A writer that
  /// loaded its state under an older epoch must not write under a newer one (its state may
  /// have changed meanwhile on another node).
  std::int64_t epoch = 0;
};

/// A set of writes applied atomically. Opaque so that callers need no RocksDB header.
class batch {
 public:
  batch();
  ~batch();
  batch(batch&&) noexcept;
  batch& operator=(batch&&) noexcept;
  void put(cf family, std::string_view key, std::string_view value);
  void erase(cf family, std::string_view key);
  std::size_t count() const;
  bool empty() const { return count() == 0; }
  /// The bytes of keys and values held so far.
  std::size_t bytes() const;
  /// Room for `writes` more writes of `bytes` in all: a batch built up to megabytes (a cron
  /// second's fires) otherwise copies itself over as it grows.
  void reserve(std::size_t writes, std::size_t bytes);

  /// The batch as one value, for a partition's replicated log in a cluster: a standby
  /// unpacks it and writes it to its own store, so both hold the same records. Families go
  /// by their `cf` number, not RocksDB's ids, which differ between data folders.
  /// Layout: "P1", a varint count, then per write a byte (family | 0x80 for an erase), the
  /// key as varint length + bytes, and for a put the value likewise.
  std::string pack() const;
  /// Several batches as one packed value, their writes in order (what `pack` makes of one).
  static std::string pack_all(const std::vector<const batch*>& batches);
  /// The batch `pack` made; nullopt for bytes it did not make (damaged, truncated, unknown).
  static std::optional<batch> unpack(std::string_view packed);

  /// Whether any write of this batch is to `family`.
  bool touches(cf family) const;

  void set_scope(write_scope scope) { scope_ = scope; }
  const write_scope& scope() const { return scope_; }

 private:
  friend class db;
  struct impl;
  std::unique_ptr<impl> impl_;
  write_scope scope_;
};

/// The embedded RocksDB. Reads are thread-safe; `write` is called by the group committer.
class db {
 public:
  /// Opens (creating if needed) the database in `path`, its files owner-only. `sync`: every
  /// write syncs the WAL. `preallocate`: reserve room for log and table files ahead (about
  /// 1.1 × the 32 MiB write buffer each), which spares a sync the file-size update but needs
  /// that room free: off on a small or nearly full volume.
  /// `faults`: a test's switch that fails file writes on demand; null in a server.
  static result<std::unique_ptr<db>> open(const std::string& path, bool sync,
                                          bool preallocate = true,
                                          std::shared_ptr<fault_switch> faults = nullptr);
  /// Opens an existing database for reading only, as of now: it takes no lock, so it works
  /// beside a running server (`baton db dump`). Writes to it fail.
  static result<std::unique_ptr<db>> open_read_only(const std::string& path);
  ~db();

  /// The value under `key`; an empty optional when there is none. A key that could not be
  /// read is a failed result, never "none".
  result<std::optional<std::string>> get(cf family, std::string_view key) const;

  /// A mark of the writes of a process snapshot (family `processes`, see `write_marks`):
  /// a snapshot read after taking a mark is the stored one still while the mark taken anew
  /// is the same. None while a write of it may be under way.
  std::optional<std::uint64_t> write_mark(std::string_view process_id) const;

  using visitor = std::function<bool(std::string_view key, std::string_view value)>;
  /// Calls `visit` for each key with `prefix`, in key order, starting at `start` (or the
  /// prefix itself when empty), until `visit` returns false.
  /// @returns failed when the iteration stopped on an error rather than at its end: what was
  /// visited until then is a partial answer.
  status scan(cf family, std::string_view prefix, std::string_view start,
              const visitor& visit) const;

  /// Like `scan`, newest key first: from `start` (or the prefix's last key when empty) down.
  status scan_backward(cf family, std::string_view prefix, std::string_view start,
                       const visitor& visit) const;

  /// Applies `b` atomically; synced when the database was opened with sync.
  status write(batch& b);
  /// Applies every batch of `batches` in one atomic write (one WAL sync when synced), in
  /// order, without copying them into one batch first.
  status write_all(const std::vector<const batch*>& batches);
  /// `write_all` without waiting for the disk: the write survives the process' death (it is in
  /// the kernel's hands) but not the machine's. For what a durable copy elsewhere holds (the
  /// cluster's log, applied on every node); `sync_log` makes it durable later.
  status write_all_unsynced(const std::vector<const batch*>& batches);
  /// Syncs the write-ahead log: every write made so far is on the disk.
  status sync_log();

  /// After a failed write RocksDB stops taking writes (a background error) until told to
  /// resume; this asks it to, e.g. once the volume has room again. Ok when writes are open.
  status resume();

  bool synced() const { return sync_; }

  /// Bytes held by the memtables of every family: written data not yet flushed to table
  /// files, which the WAL cap bounds (see `open`). Part of the server's RSS that does not
  /// grow with the number of processes.
  std::uint64_t memtable_bytes() const;

  /// Writes a consistent copy of the database, as of one moment, into the folder `dir` (which
  /// must not exist) while reads and writes go on: RocksDB's checkpoint, which flushes the
  /// memtables and hard-links the table files when `dir` is on the same filesystem (copies
  /// them otherwise). `sequence` is the last write sequence number the copy holds.
  /// @returns empty on success, else the error text.
  status checkpoint(const std::string& dir, std::uint64_t& sequence) const;

 private:
  struct impl;
  explicit db(std::unique_ptr<impl> i, bool sync);
  std::unique_ptr<impl> impl_;
  status write_all(const std::vector<const batch*>& batches, bool sync);
  bool sync_;
};

}  // namespace baton::storage
