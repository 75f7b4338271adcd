#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/delegate_client.hpp"
#include "config/settings.hpp"
#include "http/allow_list.hpp"
#include "model/process.hpp"

namespace baton::storage {
class process_store;
}

namespace baton::http {

/// Renders a callback's body from the process as it was at the moment reported.
using callback_renderer = std::function<std::string(const model::process_state&)>;

/// Why `url` cannot be a callback target ("must be an absolute http or https URL", "host not
/// allowed: …" by `outgoing.allow_hosts`), or empty. Checked when the process starts, so
/// that a target no delivery could reach is refused to the client instead of given up later.
std::string callback_url_problem(std::string_view url, const allow_list& allowed);

/// Why (`name`, `value`) cannot be a callback header, or empty: `header_problem`, and none of
/// the headers that frame the request or that Baton sets itself (Host, Content-Length,
/// Transfer-Encoding, Connection, Content-Type, Idempotency-Key, …).
std::string callback_header_problem(std::string_view name, std::string_view value);

/// Delivers process callbacks from the store's outbox: POSTs each to its target's URL with
/// the target's headers and an `Idempotency-Key`, through the outgoing client (so the
/// allow-list applies), and erases it once answered 2xx or given up after
/// `callback_attempts` tries with doubling backoff. Per process, one callback is out at a
/// time, in the order they arose: a receiver never hears "ended" before "parked".
/// At least once: a callback answered but not yet erased when the server stops is sent again
/// after the restart.
class callback_dispatcher {
public:
  callback_dispatcher(storage::process_store& store, actors::delegate_client& client,
                      config::outgoing_settings settings);
  /// Stops (see `stop`).
  ~callback_dispatcher();
  callback_dispatcher(const callback_dispatcher&) = delete;
  callback_dispatcher& operator=(const callback_dispatcher&) = delete;

  /// Registers the renderer of `format` (a target's `format`). Call before `start`.
  /// The "native" format, the process JSON, is built in.
  void add_format(std::string format, callback_renderer render);

  /// Starts delivering: every callback already in the outbox, then those `due` names.
  void start();
  /// An outbox entry became durable. Thread-safe; duplicates are ignored, and so are signals
  /// before `start` (its outbox scan finds those entries, in their order).
  void due(std::string outbox_key);
  /// Stops delivering for good; callbacks in flight or waiting stay in the outbox for the
  /// next server start. Call it before the outgoing client goes.
  void stop();

  std::uint64_t delivered() const;
  std::uint64_t given_up() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace baton::http
