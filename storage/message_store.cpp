#include "storage/message_store.hpp"

#include <atomic>
#include <caf/serializer_impl.hpp>

#include "storage/format.hpp"
#include "storage/inspect.hpp"
#include "storage/record_reader.hpp"

namespace baton::storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, buffered_message& x) {
  return f(caf::meta::type_name("baton::storage::buffered_message"), x.name, x.correlation,
           x.values, x.expires_ms, x.message_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_answer_record& x) {
  return f(caf::meta::type_name("baton::storage::message_answer_record"), x.expires_ms, x.completed,
           x.processes, x.buffered, x.refused);
}

namespace {

/// '/' separates the key's parts and '%' escapes: both are escaped inside a part.
std::string escaped(std::string_view part) {
  std::string out;
  out.reserve(part.size());
  for (char c : part) {
    if (c == '/')
      out += "%2F";
    else if (c == '%')
      out += "%25";
    else
      out += c;
  }
  return out;
}

std::string pair_prefix(std::string_view family, std::string_view name,
                        std::string_view correlation) {
  return std::string(family) + escaped(name) + "/" + escaped(correlation) + "/";
}

std::string wait_key(const model::message_wait& w) {
  return pair_prefix("m/", w.name, w.correlation) + w.step_id;
}

std::string hex(std::uint64_t v, int digits) {
  static constexpr char h[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = h[v & 0xF];
  return out;
}

template <class T>
std::string encode(const T& x) {
  std::string out;
  out += format_v2;
  caf::serializer_impl<std::string> sink{nullptr, out};
  (void)sink(const_cast<T&>(x));  // writing into a string cannot fail
  return out;
}

template <class T>
bool decode(std::string_view stored, T& x) {
  if (stored.empty() || stored[0] != format_v2) return false;
  record_reader source{stored.data() + 1, stored.size() - 1};
  return !source(x) && source.remaining() == 0;
}

status undecodable(std::string_view key) {
  return {storage_errc::corruption, "message record '" + std::string(key) + "' does not decode"};
}

result<std::vector<buffered_message>> scan_buffered(const db& d, const std::string& prefix) {
  std::vector<buffered_message> out;
  status failed;
  auto scanned = d.scan(cf::indexes, prefix, {}, [&](std::string_view k, std::string_view v) {
    buffered_message m;
    if (!decode(v, m)) {
      failed = undecodable(k);
      return false;
    }
    m.key = std::string(k);
    out.push_back(std::move(m));
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return out;
}

}  // namespace

std::optional<bool> check_message_record(std::string_view k, std::string_view v) {
  auto tag = k.substr(0, 2);
  if (tag == "m/") return v.empty();
  buffered_message m;
  if (tag == "b/") return decode(v, m);
  message_answer_record r;
  if (tag == "i/") return decode(v, r);
  return std::nullopt;
}

void put_message_wait(batch& b, const model::process_state& before,
                      const model::process_state& after) {
  if (before.awaited == after.awaited) return;
  if (before.awaited.waiting()) b.erase(cf::indexes, wait_key(before.awaited));
  if (after.awaited.waiting()) b.put(cf::indexes, wait_key(after.awaited), {});
}

result<std::vector<std::string>> waiting_steps(const db& d, std::string_view name,
                                               std::string_view correlation) {
  std::vector<std::string> out;
  auto prefix = pair_prefix("m/", name, correlation);
  auto scanned = d.scan(cf::indexes, prefix, {}, [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(prefix.size()));
    return true;
  });
  if (!scanned.ok()) return scanned;
  return out;
}

std::string put_buffered_message(batch& b, buffered_message& m, std::int64_t now_ms) {
  // Two messages buffered in the same millisecond keep their order by the counter.
  static std::atomic<std::uint32_t> counter{0};
  m.key = pair_prefix("b/", m.name, m.correlation) + hex(static_cast<std::uint64_t>(now_ms), 16) +
          hex(counter.fetch_add(1), 8);
  b.put(cf::indexes, m.key, encode(m));
  return m.key;
}

void erase_buffered_message(batch& b, std::string_view key) { b.erase(cf::indexes, key); }

result<std::vector<buffered_message>> buffered_messages(const db& d, std::string_view name,
                                                        std::string_view correlation) {
  return scan_buffered(d, pair_prefix("b/", name, correlation));
}

result<std::vector<buffered_message>> all_buffered_messages(const db& d) {
  return scan_buffered(d, "b/");
}

result<std::optional<message_answer_record>> message_answer(const db& d,
                                                            std::string_view message_id) {
  auto key = "i/" + std::string(message_id);
  auto raw = d.get(cf::indexes, key);
  if (!raw.ok()) return raw.error();
  if (!raw.value()) return std::optional<message_answer_record>();
  message_answer_record r;
  if (!decode(*raw.value(), r)) return undecodable(key);
  return std::optional(std::move(r));
}

void put_message_answer(batch& b, std::string_view message_id,
                        const message_answer_record& record) {
  b.put(cf::indexes, "i/" + std::string(message_id), encode(record));
}

void erase_message_answer(batch& b, std::string_view message_id) {
  b.erase(cf::indexes, "i/" + std::string(message_id));
}

result<std::vector<std::pair<std::string, std::int64_t>>> message_answer_expiries(const db& d) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  status failed;
  auto scanned = d.scan(cf::indexes, "i/", {}, [&](std::string_view k, std::string_view v) {
    message_answer_record r;
    if (!decode(v, r)) {
      failed = undecodable(k);
      return false;
    }
    out.emplace_back(k.substr(2), r.expires_ms);
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return out;
}

}  // namespace baton::storage
