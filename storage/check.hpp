#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/db.hpp"

namespace baton::storage {

/// One thing wrong in a store: where, and what.
struct check_problem {
  cf family;
  std::string key;  ///< printable: bytes outside ASCII shown as \xNN
  std::string what;
  /// "<family> <key>: <what>", one line.
  std::string to_string() const;
};

/// What `check` found: its problems, and how much it read.
struct check_report {
  std::vector<check_problem> problems;
  std::array<std::uint64_t, cf_count> records{};  ///< records read per family
  std::uint64_t processes = 0;
  std::uint64_t active_processes = 0;
  std::uint64_t queued_processes = 0;  ///< WAITING in a scope's queue
  std::uint64_t schedules = 0;
  /// Runs stored after their schedule was erased (a fire racing a delete): read by nothing,
  /// harmless, so counted here and not reported as problems.
  std::uint64_t orphan_schedule_runs = 0;
  /// Problems past the `max_problems` kept, counted only: a badly damaged store still gives
  /// a readable report in bounded memory.
  std::uint64_t more_problems = 0;

  bool ok() const { return problems.empty(); }
  /// One line: what was read, and how many problems.
  std::string summary() const;
};

/// Reads the whole store and checks that it is consistent:
/// - every record of definitions, processes, history, scopes, schedules (records and runs),
///   idempotency and indexes (active markers, status entries, callback targets, outbox) decodes
///   with the codecs that wrote it, and sits under the key its content implies;
/// - every index entry points at a process that agrees with it (status, non-terminal for an
///   active marker, WAITING in that scope for a queued one);
/// - every process has its index entries (an active marker unless terminal, a status entry
///   unless RUNNING, which is listed from the active markers);
/// - every history record and outbox entry belongs to a stored process.
/// The `auth` and `meta` families are only counted: their codecs belong to http/auth.
/// Meant for a store no server is writing (a backup, a restored folder, a stopped server's):
/// on a live one, a write landing mid-scan can look like a problem.
check_report check(const db& database, std::size_t max_problems = 1000);

}  // namespace baton::storage
