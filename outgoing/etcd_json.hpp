#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "outgoing/etcd_types.hpp"

/// The JSON of etcd 3.4's v3 gateway: request bodies out, replies in. Keys and values travel
/// base64-encoded; 64-bit numbers come back as strings, and fields at their default value
/// (0, false, PUT) are left out.
namespace baton::outgoing::etcd::json {

std::string range_body(std::string_view key, std::string_view range_end, std::int64_t limit,
                       std::int64_t revision, bool keys_only = false,
                       std::int64_t max_mod_revision = 0);
std::string put_body(std::string_view key, std::string_view value, std::int64_t lease);
std::string delete_body(std::string_view key, std::string_view range_end);
std::string txn_body(const txn_request& txn);
std::string compaction_body(std::int64_t revision);
std::string lease_grant_body(std::int64_t ttl_seconds);
std::string lease_id_body(std::int64_t id);
std::string campaign_body(std::string_view name, std::int64_t lease, std::string_view value);
std::string proclaim_body(const leader_key& leader, std::string_view value);
std::string resign_body(const leader_key& leader);
std::string election_name_body(std::string_view name);
std::string watch_create_body(std::string_view key, std::string_view range_end,
                              std::int64_t start_revision);

/// The error of a reply that is not a 200 or of a stream's `{"error": ...}` object, mapped
/// from its gRPC code (5 not found, 9 failed precondition, 11 compacted, 14 unavailable).
etcd::error decode_error(int http_status, std::string_view body);

result<range_result> decode_range(std::string_view body);
result<put_result> decode_put(std::string_view body);
result<delete_result> decode_delete(std::string_view body);
result<txn_result> decode_txn(std::string_view body);
result<status_result> decode_status(std::string_view body);
result<lease_grant_result> decode_lease_grant(std::string_view body);
/// A keep-alive stream's first object: the remaining TTL, `not_found` when the lease is gone.
result<std::int64_t> decode_keep_alive(std::string_view object);
result<done> decode_done(std::string_view body);
result<leader_key> decode_campaign(std::string_view body);
/// `/v3/election/leader`'s answer (a body) or one `/observe` stream object: the leader's kv.
result<key_value> decode_leader(std::string_view body_or_object);

struct watch_response {
  std::int64_t header_revision = 0;
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0;
  std::string cancel_reason;
  std::vector<event> events;
};
result<watch_response> decode_watch(std::string_view object);

/// Cuts a stream of concatenated JSON objects (the gateway's chunked stream bodies) into
/// whole objects, however the bytes were split.
class object_splitter {
 public:
  /// Appends `bytes` and hands each object completed by them to `on_object`, in order.
  void feed(std::string_view bytes, const std::function<void(std::string_view)>& on_object);

 private:
  std::string pending_;
  std::size_t scanned_ = 0;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace baton::outgoing::etcd::json
