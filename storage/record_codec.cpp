#include "storage/record_codec.hpp"

#include <caf/serializer_impl.hpp>

#include "storage/inspect.hpp"
#include "storage/legacy_json_codec.hpp"
#include "storage/record_reader.hpp"

namespace baton::storage {

namespace {

/// The container the encoders give CAF's serializer: a string it only ever appends to.
/// `serializer_impl` writes each field with `insert(end, first, last)`, which std::string
/// runs through its general `replace` (about 60 instructions a field, some 50 fields a
/// start); `append` is the short path to the same bytes.
struct append_buffer {
  using value_type = char;
  std::string& out;
  std::size_t size() const { return out.size(); }
  char* data() { return out.data(); }
  char* end() { return out.data() + out.size(); }
  void insert(char*, const char* first, const char* last) {
    out.append(first, static_cast<std::size_t>(last - first));
  }
  void insert(char*, std::size_t count, char c) { out.append(count, c); }
};
using record_writer = caf::serializer_impl<append_buffer>;

/// format_v2 + `x`, in one buffer of about `expected` bytes.
template <class T>
std::string encode(const T& x, std::size_t expected) {
  std::string out;
  out.reserve(expected);
  out += format_v2;
  append_buffer buffer{out};
  record_writer sink{nullptr, buffer};
  // Writing into a string cannot fail: every field is of a type the serializer knows.
  (void)sink(const_cast<T&>(x));
  return out;
}

/// Reads a format_v2 record whole: a record with bytes left over is damaged too.
template <class T>
bool decode(std::string_view stored, T& x) {
  if (stored.empty() || stored[0] != format_v2) return false;
  record_reader source{stored.data() + 1, stored.size() - 1};
  return !source(x) && source.remaining() == 0;
}

}  // namespace

std::string encode_process(const model::process_state& p) {
  // About 150 bytes a process and 120 a step: one allocation for the usual snapshot.
  return encode(p, 192 + 160 * p.steps.size());
}

std::optional<model::process_state> decode_process(std::string_view stored) {
  std::optional<model::process_state> p{std::in_place};
  if (!decode_process_into(stored, *p)) return std::nullopt;
  return p;
}

bool decode_process_into(std::string_view stored, model::process_state& out) {
  if (!is_legacy_record(stored)) return decode(stored, out);
  auto legacy = legacy::read_process(stored);
  if (legacy) out = std::move(*legacy);
  return legacy.has_value();
}

std::string encode_history_run(const std::vector<const model::history_entry*>& entries) {
  // The entries of one transition as a sequence, without copying them into one.
  std::string out;
  out.reserve(16 + 64 * entries.size());
  out += format_v2;
  append_buffer buffer{out};
  record_writer sink{nullptr, buffer};
  auto n = entries.size();
  (void)sink.begin_sequence(n);
  for (const auto* e : entries) (void)sink(const_cast<model::history_entry&>(*e));
  (void)sink.end_sequence();
  return out;
}

bool decode_history_record(std::string_view stored, std::vector<model::history_entry>& out) {
  if (is_legacy_record(stored)) return legacy::read_history(stored, out);
  std::vector<model::history_entry> entries;
  if (!decode(stored, entries)) return false;
  out.insert(out.end(), std::make_move_iterator(entries.begin()),
             std::make_move_iterator(entries.end()));
  return true;
}

std::string encode_callback(const model::callback_target& c) { return encode(c, 128); }

std::optional<model::callback_target> decode_callback(std::string_view stored) {
  if (is_legacy_record(stored)) return legacy::read_callback(stored);
  model::callback_target c;
  if (!decode(stored, c)) return std::nullopt;
  return c;
}

}  // namespace baton::storage
