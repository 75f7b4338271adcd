#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.hpp"

namespace baton::storage {

class process_store;

/// Security-relevant events in the `auth` column family ("audit/<time>-<seq>"): logins,
/// failures, throttling, client and definition changes, cancels. Writes do not wait.
class audit_log {
 public:
  explicit audit_log(process_store& store, model::clock_ms clock = model::system_clock_ms)
      : store_(store), clock_(std::move(clock)) {}

  void record(std::string_view type, std::string_view client, std::string_view source,
              std::string_view detail = {});
  /// The latest `limit` entries as a JSON array, oldest first; `type` filters when set.
  std::string latest_json(std::size_t limit, std::string_view type = {}) const;

 private:
  process_store& store_;
  model::clock_ms clock_;
  std::atomic<std::uint32_t> seq_{0};
};

}  // namespace baton::storage
