#pragma once

#include <caf/actor_control_block.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <functional>

#include "actors/messages.hpp"
#include "model/clock.hpp"

namespace baton::actors {

/// Where the answers for callers outside the actor system (the HTTP io threads, through the
/// engine facade) come in. Such a caller cannot wait for a reply, and a CAF request needs an
/// actor to send it and take the reply. The desk is that actor, but one without a mailbox
/// or a thread: a request goes from the caller's thread straight into the receiver's mailbox
/// with the desk as its sender, and the reply is handed to the caller's callback on the
/// thread that sends it.
///
/// Why not an ordinary actor making `request(dest, timeout, msg)`: that actor is two more
/// mailbox hops per call, and CAF 0.17 files every request timeout with its clock thread
/// (a lock and a wake-up each). Both together cost 15 % of the durable starts per second.
/// Here a deadline is a number in a map, and `expire` (once a second) answers the late.
class reply_desk {
 public:
  /// Gets the reply's content, or nullptr when there is none (deadline passed, engine
  /// stopping). Called exactly once per request, on whatever thread the reply comes from.
  using deliver_fn = std::function<void(caf::message*)>;

  explicit reply_desk(caf::actor_system& sys);
  ~reply_desk();
  reply_desk(const reply_desk&) = delete;
  reply_desk& operator=(const reply_desk&) = delete;

  /// Puts `content` in `dest`'s mailbox as a request. Its reply goes to `deliver`, or
  /// nullptr does if none came by `deadline_ms` (on the engine's clock) when `expire` runs.
  void request(const caf::strong_actor_ptr& dest, caf::message content, std::int64_t deadline_ms,
               deliver_fn deliver);

  /// Gives up on every request whose deadline is at or before `now_ms`.
  void expire(std::int64_t now_ms);

  /// Gives up on every request still open (the engine is stopping).
  void expire_all();

  /// Requests not yet answered nor given up.
  std::size_t open_requests() const;

 private:
  class sink;

  caf::strong_actor_ptr handle_;  ///< keeps the sink alive while requests name it as sender
  sink* sink_ = nullptr;
};

/// Once a second, gives up on the desk's requests that are past their deadline on `now`.
using reply_watch_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

reply_watch_actor spawn_reply_watch(caf::actor_system& sys, reply_desk& desk, model::clock_ms now);

}  // namespace baton::actors
