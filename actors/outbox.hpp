#pragma once

#include <atomic>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "actors/callback_formats.hpp"
#include "actors/messages.hpp"
#include "config/settings.hpp"
#include "outgoing/delegate_client.hpp"
#include "storage/db.hpp"

namespace baton::storage {
class process_store;
}

namespace baton::actors {

class definition_registry;

/// How many callbacks were settled, for /metrics (read from any thread).
struct outbox_counters {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> given_up{0};
};

/// The outbox's outside world. The store, the client and the registry outlive the actor
/// (the engine stops the actor before any of them goes).
struct outbox_deps {
  storage::process_store* store = nullptr;
  outgoing::delegate_client* client = nullptr;
  const definition_registry* definitions = nullptr;  ///< null: renderers get no definition
  config::outgoing_settings settings;
  callback_formats formats;
  std::shared_ptr<outbox_counters> counters = std::make_shared<outbox_counters>();
  /// The write scope of a process' records (its partition in a cluster).
  std::function<storage::write_scope(std::string_view process_id)> scope_of = [](std::string_view) {
    return storage::write_scope{};
  };
};

/// The wait before try `attempt + 1` of a callback: `first` doubled per failed try, capped at
/// `cap`, then scaled by `spread` (the caller draws it from [0.8, 1.2], so that callbacks a
/// receiver's outage held back do not all come back in the same instant); at least 1 ms.
/// The one place the outbox's backoff is computed.
std::chrono::milliseconds callback_backoff(std::chrono::milliseconds first, int attempt,
                                           double spread,
                                           std::chrono::milliseconds cap = std::chrono::minutes(5));

/// What the outbox keeps between messages.
struct outbox_state {
  static inline const char* name = "baton.outbox";

  /// One owed callback; `ends` is learnt when it is first sent (its snapshot is terminal).
  struct entry {
    std::string key;
    bool ends = false;
    int attempt = 1;  ///< the try its next send is
  };

  outbox_deps deps;
  std::map<std::string, std::deque<entry>> queues;  ///< process id → entries, in order
  std::set<std::string> known;                      ///< keys queued, out, or being erased
  /// Processes whose oldest entry may go out but waits for one of the
  /// `callback_max_in_flight` slots, in the order they became due.
  std::deque<std::string> waiting_for_slot;
  std::size_t in_flight = 0;
  std::minstd_rand jitter{std::random_device{}()};
  /// Whether `outbox_scan` came: a signal before it is dropped (the scan finds its entry).
  bool scanned = false;
};

/// Delivers process callbacks from the store's outbox: POSTs each to its target's URL with
/// the target's headers and an `Idempotency-Key`, through the delegate client (so the
/// allow-list applies), and erases it once answered 2xx or given up after
/// `callback_attempts` tries with `callback_backoff` between them. Per process one callback
/// is out at a time, in the order they arose: a receiver never hears "ended" before
/// "parked". At most `callback_max_in_flight` are out at once. At least once: a callback
/// answered but not yet erased when the server stops is sent again after the restart.
///
///   outbox_scan ─► scan the outbox ─► queue each key ─┐
///   callback_due ─► queue (unless known) ───────┤
///                                               ▼
///        first of its process and a slot free? ─► call ─► callback_answered
///                                                             │ 2xx ─► erase ─► callback_erased
///                                                             │ failed, tries left ─► delayed
///                                                             │     callback_retry ─► call
///                                                             └ failed, no tries left ─► erase
using outbox_actor =
    caf::typed_actor<caf::reacts_to<outbox_scan>, caf::reacts_to<callback_due>,
                     caf::reacts_to<callback_answered>, caf::reacts_to<callback_retry>,
                     caf::reacts_to<callback_erased>>;

/// The outbox actor. It scans the outbox when told (`outbox_scan`: once it is the outbox
/// processes signal) and drops signals until then, so an entry signalled while it was not
/// running, or before the scan, is found in its order; signals are idempotent.
outbox_actor::behavior_type outbox(outbox_actor::stateful_pointer<outbox_state> self,
                                   outbox_deps deps);

}  // namespace baton::actors
