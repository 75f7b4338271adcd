#include <chrono>
#include <iostream>

#include "cmd/commands.hpp"
#include "http/process_json.hpp"
#include "model/cron.hpp"
#include "model/time.hpp"
#include "storage/db.hpp"
#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"

namespace baton::cmd {

int cron_next(const std::string& expr, const std::string& tz_name, const std::string& from,
              std::size_t count, std::int64_t now_ms) {
  auto parsed = model::cron_expression::parse(expr);
  if (auto* error = std::get_if<model::cron_error>(&parsed)) {
    std::cerr << "invalid cron expression: " << error->to_string() << "\n";
    return 2;
  }
  const auto* zone = model::find_zone(tz_name);
  if (!zone) {
    std::cerr << "unknown time zone \"" << tz_name << "\"\n";
    return 2;
  }
  using namespace std::chrono;
  auto start_ms = now_ms;
  if (!from.empty()) {
    auto ms = model::parse_iso_instant(from);
    if (!ms) {
      std::cerr << "--from must be an ISO-8601 instant such as 2026-03-29T00:00:00Z\n";
      return 2;
    }
    start_ms = *ms;
  }
  auto after = floor<seconds>(sys_time<milliseconds>(milliseconds(start_ms)));
  for (auto t : std::get<model::cron_expression>(parsed).next_n(after, zone, count)) {
    std::cout << model::format_in_zone(duration_cast<milliseconds>(t.time_since_epoch()).count(),
                                       tz_name)
              << "\n";
  }
  return 0;
}

namespace {

/// A stored record as JSON: JSON records without their format byte, binary ones decoded and
/// rendered as the API shows them; anything else (index markers) as it is.
std::string printable(storage::cf family, std::string_view key, std::string_view value) {
  if (value.empty()) return {};
  if (value[0] == storage::format_v1) return std::string(storage::json_of(value));
  if (value[0] != storage::format_v2) return std::string(value);
  if (family == storage::cf::history) {
    std::vector<model::history_entry> entries;
    if (storage::decode_history_record(value, entries)) return http::history_json(entries);
  } else if (family == storage::cf::indexes && key.starts_with("c/")) {
    if (auto c = storage::decode_callback(value)) {
      std::string out = "{\"url\":\"";
      model::append_json_escaped(out, c->url);
      out += "\",\"format\":\"";
      model::append_json_escaped(out, c->format);
      out += "\",\"headers\":[";
      for (const auto& [name, val] : c->headers) {
        out += out.back() == '[' ? "[\"" : ",[\"";
        model::append_json_escaped(out, name);
        out += "\",\"";
        model::append_json_escaped(out, val);
        out += "\"]";
      }
      return out + "]}";
    }
  } else if (auto p = storage::decode_process(value)) {  // snapshots and the outbox
    return http::process_json(*p);
  }
  return "(undecodable binary record)";
}

}  // namespace

int db_dump(const std::string& data_dir, const std::string& family, const std::string& prefix) {
  std::optional<storage::cf> which;
  for (std::size_t i = 0; i < storage::cf_count; ++i) {
    if (storage::cf_name(static_cast<storage::cf>(i)) == family)
      which = static_cast<storage::cf>(i);
  }
  if (!which) {
    std::cerr << "unknown column family \"" << family << "\"\n";
    return 2;
  }
  // Read-only: no lock taken, so a dump works while the server runs (as of this moment).
  auto opened = storage::db::open_read_only(data_dir + "/db");
  if (!opened.ok()) {
    std::cerr << "cannot open " << data_dir << ": " << opened.error().describe() << "\n";
    return 1;
  }
  auto& database = *opened.value();
  auto scanned =
      database.scan(*which, prefix, {}, [&](std::string_view key, std::string_view value) {
        std::cout << key << "\t" << printable(*which, key, value) << "\n";
        return true;
      });
  if (!scanned.ok()) {
    std::cerr << "the dump stopped on a read error: " << scanned.describe() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace baton::cmd
