// History records as earlier releases stored them: format_v1 + one JSON object per entry, or
// a JSON array of the entries of one transition.

#include "storage/json_read.hpp"
#include "storage/legacy_json_codec.hpp"

namespace baton::storage::legacy {

using namespace json_read;

namespace {

/// An entry needs its sequence number and type; the rest may be absent.
bool read_entry(dom::element e, std::vector<model::history_entry>& out) {
  std::int64_t seq = 0;
  std::string_view type;
  if (e["seq"].get_int64().get(seq) != simdjson::SUCCESS ||
      e["type"].get_string().get(type) != simdjson::SUCCESS) {
    return false;
  }
  out.push_back({static_cast<std::uint64_t>(seq), int_of(e, "atMs"), std::string(type),
                 text_of(e, "processStepId"), text_of(e, "detail")});
  return true;
}

}  // namespace

bool read_history(std::string_view stored, std::vector<model::history_entry>& out) {
  dom::element doc;
  if (!parse_stored(stored, doc)) return false;
  auto size = out.size();
  dom::array entries;
  bool ok = true;
  if (doc.get_array().get(entries) == simdjson::SUCCESS) {
    for (dom::element e : entries) ok = ok && read_entry(e, out);
  } else {
    ok = read_entry(doc, out);
  }
  if (!ok) out.resize(size);
  return ok;
}

}  // namespace baton::storage::legacy
