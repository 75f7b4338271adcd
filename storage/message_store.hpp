#pragma once

// The records of message steps (DESIGN.md, issue 20), all in the `indexes` family:
//
//   m/<name>/<correlation>/<processStepId>   a step waits for this message (empty value),
//                                            written and erased in the process' own batch
//   b/<name>/<correlation>/<seq>             a message buffered for a step that starts later
//   i/<messageId>                            the first answer to a message with that id
//
// (Two-character tags, as every index key has: the family's prefix extractor keys on them.)
//
// Name and correlation are escaped ('/' and '%' as %2F and %25), so a prefix names exactly one
// pair. `seq` is 16 hex digits of the buffering time then 8 of a counter: oldest first.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/process.hpp"
#include "model/value.hpp"
#include "storage/db.hpp"
#include "storage/status.hpp"

namespace baton::storage {

/// A message kept until a step waiting for it starts, or until it expires.
struct buffered_message {
  std::string key;  ///< its record's key (not stored in the record)
  std::string name;
  std::string correlation;
  model::values values;
  std::int64_t expires_ms = 0;
  std::string message_id;  ///< the sender's messageId, if any
  bool operator==(const buffered_message&) const = default;
};

/// The first answer to a message with a `messageId`, kept until `expires_ms`.
struct message_answer_record {
  std::int64_t expires_ms = 0;
  std::int64_t completed = 0;
  std::vector<std::string> processes;
  bool buffered = false;
  std::vector<std::pair<std::string, std::string>> refused;  ///< step → why
};

/// Writes into `b` the index change of one transition from `before` to `after`: the key of the
/// wait that ended is erased, the key of the wait that began is put.
void put_message_wait(batch& b, const model::process_state& before,
                      const model::process_state& after);

/// Whether index key `k` is one of these records, and whether its value decodes
/// (`baton db check`). nullopt: not a message record.
std::optional<bool> check_message_record(std::string_view k, std::string_view v);

/// The processStepIds waiting for message `name` with `correlation`, in key order.
[[nodiscard]] result<std::vector<std::string>> waiting_steps(const db& d, std::string_view name,
                                                             std::string_view correlation);

/// Buffers `m` under a new key (returned, and set in `m.key`).
std::string put_buffered_message(batch& b, buffered_message& m, std::int64_t now_ms);
void erase_buffered_message(batch& b, std::string_view key);
/// The messages buffered for `name` and `correlation`, oldest first, expired ones included.
[[nodiscard]] result<std::vector<buffered_message>> buffered_messages(const db& d,
                                                                      std::string_view name,
                                                                      std::string_view correlation);
/// Every buffered message, by name and correlation, oldest first within each.
[[nodiscard]] result<std::vector<buffered_message>> all_buffered_messages(const db& d);

[[nodiscard]] result<std::optional<message_answer_record>> message_answer(
    const db& d, std::string_view message_id);
void put_message_answer(batch& b, std::string_view message_id, const message_answer_record& record);
void erase_message_answer(batch& b, std::string_view message_id);
/// The ids of every answer kept, with when each expires.
[[nodiscard]] result<std::vector<std::pair<std::string, std::int64_t>>> message_answer_expiries(
    const db& d);

}  // namespace baton::storage
