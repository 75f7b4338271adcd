#include "storage/audit_log.hpp"

#include <cstdio>
#include <deque>

#include "model/value.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::storage {

void audit_log::record(std::string_view type, std::string_view client, std::string_view source,
                       std::string_view detail) {
  auto now = clock_();
  char key[48];
  std::snprintf(key, sizeof key, "audit/%013lld-%08x", static_cast<long long>(now), ++seq_);
  std::string v(1, format_v1);
  v += "{\"atMs\":" + std::to_string(now) + ",\"type\":\"";
  model::append_json_escaped(v, type);
  v += "\",\"client\":\"";
  model::append_json_escaped(v, client);
  v += "\",\"source\":\"";
  model::append_json_escaped(v, source);
  v += "\",\"detail\":\"";
  model::append_json_escaped(v, detail);
  v += "\"}";
  batch b;
  b.set_scope({write_scope::cluster_wide, 0});
  b.put(cf::auth, key, v);
  store_.committer().submit(std::move(b), nullptr);
}

std::string audit_log::latest_json(std::size_t limit, std::string_view type) const {
  std::deque<std::string> kept;
  std::string needle = "\"type\":\"" + std::string(type) + "\"";
  // A partial log on a read error is still the newest entries that could be read; the
  // error goes to the log rather than failing an operator's look at the rest.
  (void)store_.database().scan(cf::auth, "audit/", {}, [&](std::string_view, std::string_view v) {
    auto json = json_of(v);
    if (type.empty() || json.find(needle) != std::string_view::npos) {
      kept.emplace_back(json);
      if (kept.size() > limit) kept.pop_front();
    }
    return true;
  });
  std::string out = "[";
  for (const auto& e : kept) {
    if (out.size() > 1) out += ',';
    out += e;
  }
  return out + "]";
}

}  // namespace baton::storage
