#include "outgoing/etcd_json.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

namespace baton::outgoing::etcd {

std::string prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key: etcd's "from key to the end"
}

}  // namespace baton::outgoing::etcd

namespace baton::outgoing::etcd::json {

namespace bj = boost::json;
namespace b64 = boost::beast::detail::base64;

namespace {

std::string encode64(std::string_view bytes) {
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

bj::string_view view(std::string_view s) { return {s.data(), s.size()}; }

/// A reply that does not have the shape etcd gives it.
struct malformed {
  std::string what;
};

std::string decode64(const bj::value& v) {
  if (!v.is_string()) throw malformed{"base64 field is not a string"};
  const auto& s = v.get_string();
  std::string out(b64::decoded_size(s.size()), '\0');
  auto [written, read] = b64::decode(out.data(), s.data(), s.size());
  // The count of characters read stops before the '=' padding.
  auto padding = s.size() - std::min(s.size(), s.find_last_not_of('=') + 1);
  if (read + padding != s.size()) throw malformed{"invalid base64"};
  out.resize(written);
  return out;
}

/// etcd's 64-bit numbers: JSON strings on the way out of the gateway, numbers in places.
std::uint64_t unsigned_of(const bj::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64()) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_string()) {
    const auto& s = v.get_string();
    bool negative = !s.empty() && s[0] == '-';
    std::uint64_t n = 0;
    auto first = s.data() + (negative ? 1 : 0);
    auto [end, ec] = std::from_chars(first, s.data() + s.size(), n);
    if (ec != std::errc{} || end != s.data() + s.size()) throw malformed{"not a number"};
    return negative ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(n)) : n;
  }
  throw malformed{"not a number"};
}

std::int64_t number_of(const bj::value& v) { return static_cast<std::int64_t>(unsigned_of(v)); }

const bj::object& object_of(const bj::value& v) {
  if (!v.is_object()) throw malformed{"expected an object"};
  return v.get_object();
}

std::int64_t number_at(const bj::object& o, std::string_view name) {
  auto* v = o.if_contains(view(name));
  return v ? number_of(*v) : 0;
}

std::string bytes_at(const bj::object& o, std::string_view name) {
  auto* v = o.if_contains(view(name));
  return v ? decode64(*v) : std::string{};
}

bool flag_at(const bj::object& o, std::string_view name) {
  auto* v = o.if_contains(view(name));
  return v && v->is_bool() && v->get_bool();
}

std::int64_t header_revision(const bj::object& o) {
  auto* h = o.if_contains("header");
  return h ? number_at(object_of(*h), "revision") : 0;
}

key_value kv_of(const bj::value& v) {
  const auto& o = object_of(v);
  return {bytes_at(o, "key"),           bytes_at(o, "value"),    number_at(o, "create_revision"),
          number_at(o, "mod_revision"), number_at(o, "version"), number_at(o, "lease")};
}

range_result range_of(const bj::object& o) {
  range_result r;
  r.header_revision = header_revision(o);
  if (auto* kvs = o.if_contains("kvs")) {
    if (!kvs->is_array()) throw malformed{"kvs is not an array"};
    for (const auto& kv : kvs->get_array()) r.kvs.push_back(kv_of(kv));
  }
  r.count = number_at(o, "count");
  r.more = flag_at(o, "more");
  return r;
}

put_result put_of(const bj::object& o) {
  put_result r;
  r.header_revision = header_revision(o);
  if (auto* prev = o.if_contains("prev_kv")) r.prev = kv_of(*prev);
  return r;
}

delete_result delete_of(const bj::object& o) {
  return {header_revision(o), number_at(o, "deleted")};
}

/// Parses `text` and reads it with `read`; any surprise becomes `bad_reply`.
template <class T, class Read>
result<T> decode(std::string_view text, Read read) {
  boost::system::error_code ec;
  auto v = bj::parse(view(text), ec);
  if (ec) return etcd::error{errc::bad_reply, "unparsable reply: " + ec.message()};
  try {
    return read(object_of(v));
  } catch (const malformed& m) {
    return etcd::error{errc::bad_reply, m.what};
  } catch (const std::exception& e) {
    return etcd::error{errc::bad_reply, e.what()};
  }
}

/// A stream object's `result` member (a unary body is its own result); a stream's `error`
/// object is thrown as an etcd error.
const bj::object& stream_result(const bj::object& o) {
  if (auto* r = o.if_contains("result")) return object_of(*r);
  if (o.contains("error")) throw decode_error(200, bj::serialize(o));
  return o;
}

template <class T, class Read>
result<T> decode_stream_object(std::string_view text, Read read) {
  try {
    return decode<T>(text, [&](const bj::object& o) { return read(stream_result(o)); });
  } catch (const etcd::error& e) {
    return e;
  }
}

bj::object leader_object(const leader_key& l) {
  return {{"name", encode64(l.name)},
          {"key", encode64(l.key)},
          {"rev", std::to_string(l.rev)},
          {"lease", std::to_string(l.lease)}};
}

bj::object range_object(std::string_view key, std::string_view range_end) {
  bj::object o{{"key", encode64(key)}};
  if (!range_end.empty()) o["range_end"] = encode64(range_end);
  return o;
}

bj::object put_object(std::string_view key, std::string_view value, std::int64_t lease) {
  bj::object o{{"key", encode64(key)}, {"value", encode64(value)}};
  if (lease != 0) o["lease"] = std::to_string(lease);
  return o;
}

bj::object op_object(const op& x) {
  switch (x.type) {
    case op::kind::put: {
      auto put = put_object(x.key, x.value, x.lease);
      if (x.prev_kv) put["prev_kv"] = true;
      return {{"request_put", std::move(put)}};
    }
    case op::kind::delete_range:
      return {{"request_delete_range", range_object(x.key, x.range_end)}};
    case op::kind::range: {
      auto range = range_object(x.key, x.range_end);
      if (x.limit > 0) range["limit"] = std::to_string(x.limit);
      return {{"request_range", std::move(range)}};
    }
  }
  return {};
}

bj::object compare_object(const compare& c) {
  static constexpr const char* targets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
  static constexpr const char* results[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
  bj::object o{{"key", encode64(c.key)},
               {"target", targets[static_cast<int>(c.target)]},
               {"result", results[static_cast<int>(c.result)]}};
  switch (c.target) {
    case compare_target::version:
      o["version"] = std::to_string(c.number);
      break;
    case compare_target::create_revision:
      o["create_revision"] = std::to_string(c.number);
      break;
    case compare_target::mod_revision:
      o["mod_revision"] = std::to_string(c.number);
      break;
    case compare_target::lease:
      o["lease"] = std::to_string(c.number);
      break;
    case compare_target::value:
      o["value"] = encode64(c.value);
      break;
  }
  return o;
}

std::string text(const bj::object& o) { return bj::serialize(o); }

}  // namespace

std::string range_body(std::string_view key, std::string_view range_end, std::int64_t limit,
                       std::int64_t revision, bool keys_only, std::int64_t max_mod_revision) {
  auto o = range_object(key, range_end);
  if (limit > 0) o["limit"] = std::to_string(limit);
  if (revision > 0) o["revision"] = std::to_string(revision);
  if (keys_only) o["keys_only"] = true;
  if (max_mod_revision > 0) o["max_mod_revision"] = std::to_string(max_mod_revision);
  return text(o);
}

std::string put_body(std::string_view key, std::string_view value, std::int64_t lease) {
  return text(put_object(key, value, lease));
}

std::string delete_body(std::string_view key, std::string_view range_end) {
  return text(range_object(key, range_end));
}

std::string txn_body(const txn_request& txn) {
  bj::array compares, success, failure;
  for (const auto& c : txn.compare) compares.push_back(compare_object(c));
  for (const auto& x : txn.success) success.push_back(op_object(x));
  for (const auto& x : txn.failure) failure.push_back(op_object(x));
  return text({{"compare", std::move(compares)},
               {"success", std::move(success)},
               {"failure", std::move(failure)}});
}

std::string compaction_body(std::int64_t revision) {
  return text({{"revision", std::to_string(revision)}, {"physical", true}});
}

std::string lease_grant_body(std::int64_t ttl_seconds) {
  return text({{"TTL", std::to_string(ttl_seconds)}});
}

std::string lease_id_body(std::int64_t id) { return text({{"ID", std::to_string(id)}}); }

std::string campaign_body(std::string_view name, std::int64_t lease, std::string_view value) {
  return text(
      {{"name", encode64(name)}, {"lease", std::to_string(lease)}, {"value", encode64(value)}});
}

std::string proclaim_body(const leader_key& leader, std::string_view value) {
  return text({{"leader", leader_object(leader)}, {"value", encode64(value)}});
}

std::string resign_body(const leader_key& leader) {
  return text({{"leader", leader_object(leader)}});
}

std::string election_name_body(std::string_view name) { return text({{"name", encode64(name)}}); }

std::string watch_create_body(std::string_view key, std::string_view range_end,
                              std::int64_t start_revision) {
  auto create = range_object(key, range_end);
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  create["prev_kv"] = true;
  return text({{"create_request", std::move(create)}});
}

etcd::error decode_error(int http_status, std::string_view body) {
  boost::system::error_code ec;
  auto v = bj::parse(view(body), ec);
  std::int64_t code = -1;
  std::string message;
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    // Unary replies: {"error", "message", "code"}; stream objects: {"error": {"grpc_code", ...}}.
    const bj::object* fields = &o;
    if (auto* e = o.if_contains("error"); e && e->is_object()) fields = &e->get_object();
    for (auto name : {"code", "grpc_code"})
      if (auto* c = fields->if_contains(name); c && c->is_number()) code = c->to_number<int>();
    if (auto* m = fields->if_contains("message"); m && m->is_string())
      message = std::string(m->get_string());
  }
  if (message.empty())
    message = "HTTP " + std::to_string(http_status) + ": " + std::string(body.substr(0, 200));
  switch (code) {
    case 3:
      return {errc::invalid_argument, message};
    case 5:
      return {errc::not_found, message};
    case 9:
      return {errc::failed_precondition, message};
    case 11:
      return {errc::compacted, message};
    case 2:
      // The election service reports a vacant election as an unknown error.
      if (message.find("no leader") != std::string::npos) return {errc::not_found, message};
      return {errc::unavailable, message};
    default:
      return {errc::unavailable, message};
  }
}

result<range_result> decode_range(std::string_view body) {
  return decode<range_result>(body, range_of);
}

result<put_result> decode_put(std::string_view body) { return decode<put_result>(body, put_of); }

result<delete_result> decode_delete(std::string_view body) {
  return decode<delete_result>(body, delete_of);
}

result<txn_result> decode_txn(std::string_view body) {
  return decode<txn_result>(body, [](const bj::object& o) {
    txn_result r;
    r.succeeded = flag_at(o, "succeeded");
    r.header_revision = header_revision(o);
    if (auto* list = o.if_contains("responses")) {
      if (!list->is_array()) throw malformed{"responses is not an array"};
      for (const auto& item : list->get_array()) {
        const auto& one = object_of(item);
        op_response x;
        if (auto* p = one.if_contains("response_put")) {
          x.type = op::kind::put;
          x.put = put_of(object_of(*p));
        } else if (auto* d = one.if_contains("response_delete_range")) {
          x.type = op::kind::delete_range;
          x.deleted = delete_of(object_of(*d));
        } else if (auto* g = one.if_contains("response_range")) {
          x.type = op::kind::range;
          x.range = range_of(object_of(*g));
        } else {
          throw malformed{"unknown txn response"};
        }
        r.responses.push_back(std::move(x));
      }
    }
    return r;
  });
}

result<status_result> decode_status(std::string_view body) {
  return decode<status_result>(body, [](const bj::object& o) {
    status_result s;
    s.header_revision = header_revision(o);
    s.db_size = number_at(o, "dbSize");
    s.db_size_in_use = number_at(o, "dbSizeInUse");
    if (auto* h = o.if_contains("header")) {
      if (auto* m = object_of(*h).if_contains("member_id")) s.member_id = unsigned_of(*m);
    }
    if (auto* l = o.if_contains("leader")) s.leader = unsigned_of(*l);
    s.raft_term = number_at(o, "raftTerm");
    if (auto* v = o.if_contains("version"); v && v->is_string())
      s.version = std::string(v->get_string());
    return s;
  });
}

result<lease_grant_result> decode_lease_grant(std::string_view body) {
  return decode<lease_grant_result>(body, [](const bj::object& o) {
    if (auto* e = o.if_contains("error"); e && e->is_string() && !e->get_string().empty())
      throw malformed{std::string(e->get_string())};
    return lease_grant_result{number_at(o, "ID"), number_at(o, "TTL")};
  });
}

result<std::int64_t> decode_keep_alive(std::string_view object) {
  auto ttl = decode_stream_object<std::int64_t>(
      object, [](const bj::object& r) { return number_at(r, "TTL"); });
  // etcd answers a lease it does not know with a TTL left out (zero).
  if (ttl.ok() && *ttl <= 0) return etcd::error{errc::not_found, "lease not found"};
  return ttl;
}

result<done> decode_done(std::string_view body) {
  return decode<done>(body, [](const bj::object& o) { return done{header_revision(o)}; });
}

result<leader_key> decode_campaign(std::string_view body) {
  return decode<leader_key>(body, [](const bj::object& o) {
    auto* l = o.if_contains("leader");
    if (!l) throw malformed{"campaign reply without leader"};
    const auto& leader = object_of(*l);
    return leader_key{bytes_at(leader, "name"), bytes_at(leader, "key"), number_at(leader, "rev"),
                      number_at(leader, "lease")};
  });
}

result<key_value> decode_leader(std::string_view body_or_object) {
  return decode_stream_object<key_value>(body_or_object, [](const bj::object& o) {
    auto* kv = o.if_contains("kv");
    if (!kv) throw etcd::error{errc::not_found, "election: no leader"};
    return kv_of(*kv);
  });
}

result<watch_response> decode_watch(std::string_view object) {
  return decode_stream_object<watch_response>(object, [](const bj::object& r) {
    watch_response w;
    w.header_revision = header_revision(r);
    w.created = flag_at(r, "created");
    w.canceled = flag_at(r, "canceled");
    w.compact_revision = number_at(r, "compact_revision");
    if (auto* reason = r.if_contains("cancel_reason"); reason && reason->is_string())
      w.cancel_reason = std::string(reason->get_string());
    if (auto* list = r.if_contains("events")) {
      if (!list->is_array()) throw malformed{"events is not an array"};
      for (const auto& item : list->get_array()) {
        const auto& e = object_of(item);
        event x;
        if (auto* t = e.if_contains("type"); t && t->is_string() && t->get_string() == "DELETE")
          x.type = event::kind::del;
        if (auto* kv = e.if_contains("kv")) x.kv = kv_of(*kv);
        if (auto* prev = e.if_contains("prev_kv")) x.prev = kv_of(*prev);
        w.events.push_back(std::move(x));
      }
    }
    return w;
  });
}

void object_splitter::feed(std::string_view bytes,
                           const std::function<void(std::string_view)>& on_object) {
  pending_.append(bytes);
  std::size_t start = 0;
  for (std::size_t i = scanned_; i < pending_.size(); ++i) {
    char c = pending_[i];
    if (in_string_) {
      if (escaped_)
        escaped_ = false;
      else if (c == '\\')
        escaped_ = true;
      else if (c == '"')
        in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      if (depth_++ == 0) start = i;
    } else if (c == '}' && depth_ > 0 && --depth_ == 0) {
      on_object(std::string_view(pending_).substr(start, i + 1 - start));
      start = i + 1;
    } else if (depth_ == 0) {
      start = i + 1;  // whitespace between objects
    }
  }
  pending_.erase(0, start);
  scanned_ = pending_.size();
}

}  // namespace baton::outgoing::etcd::json
