#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "actors/messages.hpp"
#include "storage/process_store.hpp"

namespace baton::actors {

/// What recovery resumes, read from the active index: each scope's processes in admission
/// order, and the work the others need (timers to arm, retries, calls to re-issue, admissions).
struct recovery_scan {
  std::map<std::string, scope_restore, std::less<>> scopes;
  recovered_work work;
  std::int64_t active = 0;  ///< non-terminal processes kept
};

/// Reads the active index into `out`, keeping the processes `keep` (by id) says: on start,
/// those of this node's partitions; on a takeover, those of the partition taken. Nothing is
/// written, so a crash while resuming recovers the same way.
storage::status scan_recovery(storage::process_store& store,
                              const std::function<bool(std::string_view id)>& keep,
                              recovery_scan& out);

}  // namespace baton::actors
