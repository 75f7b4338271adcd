#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

/// Plain data of the etcd v3 client (`etcd_client.hpp`): no HTTP or JSON type appears here,
/// so that actors can hold and pass these values.
namespace baton::outgoing::etcd {

enum class errc : std::uint8_t {
  unavailable = 1,      ///< no endpoint answered in time, or the client closed
  compacted,            ///< the revision asked for is below etcd's compaction point
  failed_precondition,  ///< etcd refused the request as it stands (gRPC code 9)
  not_found,            ///< lease, leader or key gone (gRPC code 5, "no leader")
  bad_reply,            ///< etcd answered something this client cannot read
  invalid_argument,     ///< etcd refused the request's content (gRPC code 3)
  cancelled,            ///< the caller cancelled a campaign
};

struct error {
  errc code = errc::unavailable;
  std::string message;
  std::int64_t compact_revision = 0;  ///< with `compacted`: etcd's compaction point
};

/// A value or the reason there is none.
template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}
  result(etcd::error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const etcd::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, etcd::error> v_;
};

template <class T>
using callback = std::function<void(result<T>)>;

/// The value of calls that answer nothing but success.
struct done {
  std::int64_t header_revision = 0;
};

struct key_value {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

struct range_result {
  std::int64_t header_revision = 0;
  std::vector<key_value> kvs;
  std::int64_t count = 0;
  bool more = false;
};

struct put_result {
  std::int64_t header_revision = 0;
  std::optional<key_value> prev;  ///< only when asked for (`op::put(..., prev_kv)`)
};

struct delete_result {
  std::int64_t header_revision = 0;
  std::int64_t deleted = 0;
};

enum class compare_target : std::uint8_t { version, create_revision, mod_revision, value, lease };
enum class compare_result : std::uint8_t { equal, greater, less, not_equal };

/// One condition of a transaction: `target(key) result operand`.
struct compare {
  std::string key;
  compare_target target = compare_target::version;
  compare_result result = compare_result::equal;
  std::int64_t number = 0;  ///< the operand of every target but `value`
  std::string value;        ///< the operand of `value`

  static compare version(std::string key, compare_result r, std::int64_t n) {
    return {std::move(key), compare_target::version, r, n, {}};
  }
  static compare create_revision(std::string key, compare_result r, std::int64_t n) {
    return {std::move(key), compare_target::create_revision, r, n, {}};
  }
  static compare mod_revision(std::string key, compare_result r, std::int64_t n) {
    return {std::move(key), compare_target::mod_revision, r, n, {}};
  }
  static compare lease_of(std::string key, compare_result r, std::int64_t n) {
    return {std::move(key), compare_target::lease, r, n, {}};
  }
  static compare value_of(std::string key, compare_result r, std::string v) {
    return {std::move(key), compare_target::value, r, 0, std::move(v)};
  }
};

/// One operation of a transaction branch.
struct op {
  enum class kind : std::uint8_t { put, delete_range, range } type = kind::range;
  std::string key;
  std::string value;      ///< put
  std::string range_end;  ///< delete_range, range
  std::int64_t lease = 0;
  std::int64_t limit = 0;
  bool prev_kv = false;  ///< put: answer the previous pair

  static op put(std::string key, std::string value, std::int64_t lease = 0, bool prev = false) {
    return {kind::put, std::move(key), std::move(value), {}, lease, 0, prev};
  }
  static op delete_range(std::string key, std::string range_end = {}) {
    return {kind::delete_range, std::move(key), {}, std::move(range_end), 0, 0, false};
  }
  static op range(std::string key, std::string range_end = {}, std::int64_t limit = 0) {
    return {kind::range, std::move(key), {}, std::move(range_end), 0, limit, false};
  }
};

struct txn_request {
  std::vector<etcd::compare> compare;  ///< all must hold for `success` to run
  std::vector<op> success;
  std::vector<op> failure;
};

/// The answer of one transaction op; the member of its kind is filled.
struct op_response {
  op::kind type = op::kind::range;
  range_result range;
  put_result put;
  delete_result deleted;
};

struct txn_result {
  bool succeeded = false;
  std::int64_t header_revision = 0;
  std::vector<op_response> responses;  ///< of the branch that ran, in its order
};

struct status_result {
  std::int64_t header_revision = 0;
  std::int64_t db_size = 0;
  std::int64_t db_size_in_use = 0;
  std::uint64_t member_id = 0;
  std::uint64_t leader = 0;
  std::int64_t raft_term = 0;
  std::string version;
};

struct lease_grant_result {
  std::int64_t id = 0;
  std::int64_t ttl = 0;  ///< seconds
};

/// Who holds an election: the holder's key, created under its lease; `rev` is the key's
/// create revision, the epoch that fences the holder's writes.
struct leader_key {
  std::string name;
  std::string key;
  std::int64_t rev = 0;
  std::int64_t lease = 0;
};

struct event {
  enum class kind : std::uint8_t { put, del } type = kind::put;
  key_value kv;
  std::optional<key_value> prev;  ///< only when the watch asked for it
};

/// The smallest key above every key that starts with `prefix`: a prefix's range end.
std::string prefix_end(std::string_view prefix);

}  // namespace baton::outgoing::etcd
