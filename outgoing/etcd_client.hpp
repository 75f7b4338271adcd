#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "outgoing/etcd_types.hpp"

/// A client of etcd 3.4's v3 JSON gateway, the cluster's coordinator (DESIGN.md, Cluster).
namespace baton::outgoing::etcd {

namespace detail {
class transport;
}  // namespace detail

struct options {
  std::vector<std::string> endpoints;  ///< "http://127.0.0.1:2379"
  std::chrono::milliseconds request_timeout{5000};
  int connections = 4;  ///< kept-alive connections per member
};

/// Something that goes on until cancelled: a campaign, an observation, a watch, a keeper.
/// Destroying it cancels it; destroy it before the client that made it. After `cancel` returns, its
/// callbacks are not called again, unless one is running on the client's thread at that moment.
class handle {
 public:
  virtual ~handle() = default;
  virtual void cancel() = 0;
};

/// Every call is asynchronous and thread-safe: its callback runs exactly once (streams: until
/// cancelled) on the client's io thread, never inside the call. Callbacks must not block.
///
/// Writes that etcd may have applied when a member died mid-request are not sent again: they
/// end with `unavailable` ("outcome unknown"), and the caller reads to find out. Reads,
/// transactions with compares and election calls are tried on the next member, also when
/// one hangs without answering (each try gets its share of `request_timeout`, at least
/// 500 ms). So a fenced transaction that reports `succeeded == false` may have been applied
/// by an earlier try whose answer was lost: a caller that must know reads the key back.
class client {
 public:
  /// @throws std::invalid_argument for an empty or malformed endpoint list.
  static std::unique_ptr<client> create(options opts);
  /// Ends every pending call and stream with `unavailable` ("client closed") and joins the
  /// io thread. Must not run on that thread.
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // KV. An empty `range_end` means the one key; `prefix_end(p)` a whole prefix.
  void range(std::string key, std::string range_end, std::int64_t limit, std::int64_t revision,
             callback<range_result> done);
  /// The keys alone (values empty) of [key, range_end) last written at or before
  /// `max_mod_revision`, at most `limit` (e.g. log entries every node has applied).
  void range_keys_written_by(std::string key, std::string range_end, std::int64_t max_mod_revision,
                             std::int64_t limit, callback<range_result> done);
  void put(std::string key, std::string value, std::int64_t lease, callback<put_result> done);
  void delete_range(std::string key, std::string range_end, callback<delete_result> done);
  void txn(txn_request request, callback<txn_result> done);
  /// Drops etcd's history below `revision`; `done` holds the header revision.
  void compact(std::int64_t revision, callback<done> done);
  /// The answering member's status: database size, revision, leader (for metrics).
  void status(callback<status_result> done);

  // Leases (TTLs in seconds).
  void lease_grant(std::int64_t ttl, callback<lease_grant_result> done);
  void lease_revoke(std::int64_t id, callback<done> done);
  /// Renews once: the remaining TTL, `not_found` when the lease is gone.
  void lease_keep_alive_once(std::int64_t id, callback<std::int64_t> done);
  /// Renews lease `id` every ttl/3 until destroyed. `on_lost` runs once, on the client's
  /// thread, when a renewal says the lease is gone or when the lease may have run out: a
  /// whole `ttl` after sending the last renewal that succeeded, even while another hangs.
  /// The holder must then assume that everything fenced on the lease is lost.
  std::unique_ptr<handle> keep_alive(std::int64_t id, std::int64_t ttl,
                                     std::function<void()> on_lost);

  // Elections (`/v3/election/...`).
  /// Answers only once elected (no request timeout), or with an error when the campaign
  /// fails, or with `cancelled` when the handle is cancelled (etcd then withdraws the
  /// candidate's key).
  std::unique_ptr<handle> campaign(std::string name, std::int64_t lease, std::string value,
                                   callback<leader_key> done);
  void proclaim(leader_key leader, std::string value, callback<done> done);
  /// The current leader's key and value; `not_found` when nobody holds the election.
  void leader(std::string name, callback<key_value> done);
  void resign(leader_key leader, callback<done> done);
  /// Each leader as it takes office (the current one first); restarts by itself after a
  /// dropped connection, so a leader may be reported again.
  std::unique_ptr<handle> observe(std::string name, std::function<void(key_value)> on_leader);

  /// Events of keys in [key, range_end) from `start_revision` (0: from now), in revision
  /// order, each once: after a dropped connection the watch resumes from the last seen
  /// revision + 1 by itself. A compacted start revision ends the watch with `compacted`
  /// (its `compact_revision` says where history begins); no other error ends it.
  std::unique_ptr<handle> watch(std::string key, std::string range_end, std::int64_t start_revision,
                                std::function<void(result<std::vector<event>>)> on_events);

 private:
  explicit client(options opts);
  std::unique_ptr<detail::transport> transport_;
};

/// Waits for one call, for tests and start-up code; never on an actor or io thread.
/// Usage: `auto r = etcd::wait<range_result>([&](auto cb) { c.range(k, {}, 0, 0, cb); });`
template <class T, class Call>
result<T> wait(Call&& call) {
  auto promise = std::make_shared<std::promise<result<T>>>();
  auto future = promise->get_future();
  call([promise](result<T> r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace baton::outgoing::etcd
