#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "actors/engine.hpp"
#include "storage/db.hpp"

namespace baton::storage {
class process_store;
}

namespace baton::actors {

/// Where messages meet the message steps waiting for them (issue 20, Zeebe's semantics).
///
/// A posted message completes every step the correlation index lists for its name and
/// correlation, each through the engine's completion command (so each completion is fenced,
/// written and answered like complete-step). With none waiting and a ttl it is buffered: a
/// step that starts waiting later is handed the oldest matching message, and that completion
/// erases the buffered record in the process' own batch, so a message is consumed once.
///
/// The two sides race without a lock across their writes, and still meet: a step announces
/// its wait (`awaited`) only once the wait is durable, and a buffered message looks for
/// waiting steps again once it is durable; whichever is second sees the other. A buffered
/// message being handed to a step is held here (`in_flight_`) so it goes to one step only.
class mailroom {
 public:
  /// One completion of a message step: `consume_key` names the buffered message it uses up.
  struct delivery {
    std::string step_id;
    std::string name;
    model::values values;
    std::string consume_key;
    std::string by;
  };
  using deliver_fn = std::function<void(delivery, answer_callback)>;

  /// @param scope the write scope of message records (cluster-wide in a cluster)
  mailroom(storage::process_store& store, std::function<std::int64_t()> now_ms, deliver_fn deliver,
           storage::write_scope scope);

  void post(message_post m, std::function<void(message_outcome)> done);
  /// A step began waiting for `name` with `correlation`, durably: a buffered message may
  /// complete it now.
  void awaited(const std::string& name, const std::string& correlation);
  /// After recovery: buffered messages meet the steps that were already waiting (a crash may
  /// have come between a wait's write and its announcement); expired records go.
  void recover();

  /// How long the first answer to a messageId is kept when the message's ttl is shorter.
  static constexpr std::int64_t answer_kept_ms = 24 * 3600 * 1000;

 private:
  void deliver_to_waiting(message_post m, std::vector<std::string> steps,
                          std::function<void(message_outcome)> done);
  void buffer(message_post m, std::function<void(message_outcome)> done);
  /// Hands buffered messages of the pair to its waiting steps, oldest to the first.
  void match_buffered(const std::string& name, const std::string& correlation);
  /// Keeps the answer for a messageId (when there is one), then answers.
  void finish(const message_post& m, message_outcome outcome,
              std::function<void(message_outcome)> done);
  void erase_expired(const std::vector<std::string>& keys);

  storage::process_store& store_;
  std::function<std::int64_t()> now_ms_;
  deliver_fn deliver_;
  storage::write_scope scope_;
  std::mutex mutex_;
  std::set<std::string> in_flight_;  ///< buffered messages being handed to a step
  std::set<std::string> targeted_;   ///< steps a buffered message is on its way to
  std::set<std::string> posting_;    ///< messageIds being handled
};

}  // namespace baton::actors
