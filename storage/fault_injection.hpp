#pragma once

#include <atomic>
#include <memory>

#include "storage/status.hpp"

namespace baton::storage {

/// A switch that makes the store's file writes fail, for tests of what the server does on a
/// full or failing disk without filling one. While `failing` is set, every append to and
/// sync of a file that RocksDB writes (the WAL, tables, the manifest) answers that error, as
/// the device would; reads are untouched. Handed to `store_options::faults`.
struct fault_switch {
  /// ok: writes go through; no_space or io_error: they fail so.
  std::atomic<storage_errc> failing{storage_errc::ok};
  /// Writes that were failed on purpose, so a test can see the fault was met.
  std::atomic<std::uint64_t> failed{0};
};

}  // namespace baton::storage
