// The schedules' record layout, apart from the rest of process_store: a schedule's record and
// its runs, each run under a key of its own, so that a fire writes ~100 bytes instead of the
// whole schedule with its last 20 runs.
#include <algorithm>

#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::storage {

namespace {

/// "<id>/": every run of the schedule, and nothing else, starts so (ids have no '/').
std::string runs_prefix(std::string_view schedule_id) {
  std::string prefix(schedule_id);
  prefix += '/';
  return prefix;
}

/// "<id>/<fire ms as 16 hex digits>": a schedule's runs sort by fire time, after its record.
std::string run_key(std::string_view schedule_id, std::int64_t fire_ms) {
  static constexpr char hex[] = "0123456789abcdef";
  auto key = runs_prefix(schedule_id);
  auto digits = key.size();
  key.resize(digits + 16);
  auto v = static_cast<std::uint64_t>(fire_ms);
  for (auto i = key.size(); i > digits; v >>= 4) key[--i] = hex[v & 0xF];
  return key;
}

bool has_run(const model::schedule& s, std::int64_t fire_ms) {
  return std::any_of(s.runs.begin(), s.runs.end(),
                     [&](const model::schedule_run& r) { return r.fire_ms == fire_ms; });
}

schedule_advance state_of(const model::schedule& s) { return {s.next_fire_ms, s.status}; }

/// Gathers a schedule from its record and then its run records, read in key order.
class schedule_reader {
 public:
  explicit schedule_reader(model::schedule record) : s_(std::move(record)) {}

  const std::string& id() const { return s_.id; }

  void add_run(std::string_view stored) {
    auto r = decode_schedule_run(stored);
    if (!r) return;
    newest_state_ = r->advance;  // runs come oldest first: the last one read is the newest
    runs_.push_back(std::move(r->run));
  }

  model::schedule finish() && {
    if (newest_state_) {
      s_.next_fire_ms = newest_state_->next_fire_ms;
      s_.status = newest_state_->status;
    }
    // Runs a record of the earlier layout holds; a run record of the same fire time is newer.
    for (auto& r : s_.runs) {
      bool stored_apart =
          std::any_of(runs_.begin(), runs_.end(),
                      [&](const model::schedule_run& x) { return x.fire_ms == r.fire_ms; });
      if (!stored_apart) runs_.push_back(std::move(r));
    }
    std::stable_sort(runs_.begin(), runs_.end(),
                     [](const auto& a, const auto& b) { return a.fire_ms < b.fire_ms; });
    // Runs beyond the kept number are erased as they are dropped; one a failed or racing
    // write left behind is not shown either.
    if (runs_.size() > model::max_runs_kept) {
      runs_.erase(runs_.begin(), runs_.end() - static_cast<std::ptrdiff_t>(model::max_runs_kept));
    }
    s_.runs = std::move(runs_);
    return std::move(s_);
  }

 private:
  model::schedule s_;
  std::vector<model::schedule_run> runs_;
  std::optional<schedule_advance> newest_state_;
};

}  // namespace

status process_store::put_schedule(batch& b, const model::schedule& s) const {
  b.put(cf::schedules, s.id, encode_schedule_record(s));
  auto scanned =
      db_->scan(cf::schedules, runs_prefix(s.id), {}, [&](std::string_view k, std::string_view) {
        b.erase(cf::schedules, k);  // a run `s` still has is put again below
        return true;
      });
  if (!scanned.ok()) return scanned;
  auto state = state_of(s);
  for (const auto& r : s.runs) {
    bool newest = &r == &s.runs.back();
    b.put(cf::schedules, run_key(s.id, r.fire_ms),
          encode_schedule_run(r, newest ? &state : nullptr));
  }
  return {};
}

void process_store::put_schedule_advance(batch& b, const model::schedule& s,
                                         std::span<const std::int64_t> fire_times,
                                         std::span<const std::int64_t> dropped) const {
  auto state = state_of(s);
  if (fire_times.empty()) {
    b.put(cf::schedules, s.id, encode_schedule_record(s));
    if (!s.runs.empty()) {
      b.put(cf::schedules, run_key(s.id, s.runs.back().fire_ms),
            encode_schedule_run(s.runs.back(), &state));
    }
  }
  for (auto t : fire_times) {
    auto run = std::find_if(s.runs.begin(), s.runs.end(),
                            [&](const model::schedule_run& r) { return r.fire_ms == t; });
    if (run != s.runs.end()) {
      b.put(cf::schedules, run_key(s.id, t), encode_schedule_run(*run, &state));
    }
  }
  for (auto t : dropped) {
    if (!has_run(s, t)) b.erase(cf::schedules, run_key(s.id, t));
  }
}

status process_store::erase_schedule(batch& b, const model::schedule& s) const {
  b.erase(cf::schedules, s.id);
  auto scanned =
      db_->scan(cf::schedules, runs_prefix(s.id), {}, [&](std::string_view k, std::string_view) {
        b.erase(cf::schedules, k);
        return true;
      });
  if (!scanned.ok()) return scanned;
  for (const auto& r : s.runs) b.erase(cf::schedules, run_key(s.id, r.fire_ms));
  return {};
}

result<std::optional<model::schedule>> process_store::load_schedule(std::string_view id) const {
  auto raw = db_->get(cf::schedules, id);
  if (!raw.ok()) return raw.error();
  if (!raw.value()) return std::optional<model::schedule>();
  auto record = decode_schedule(*raw.value());
  if (!record)
    return status{storage_errc::corruption,
                  "schedule record '" + std::string(id) + "' does not decode"};
  schedule_reader reader(std::move(*record));
  auto scanned =
      db_->scan(cf::schedules, runs_prefix(id), {}, [&](std::string_view, std::string_view v) {
        reader.add_run(v);
        return true;
      });
  if (!scanned.ok()) return scanned;
  return std::optional<model::schedule>(std::move(reader).finish());
}

result<std::optional<std::string>> process_store::schedule_raw(std::string_view id) const {
  auto s = load_schedule(id);
  if (!s.ok()) return s.error();
  if (!s.value()) return std::optional<std::string>();
  return std::optional<std::string>(encode_schedule(*s.value()));
}

result<std::vector<model::schedule>> process_store::load_schedules() const {
  std::vector<model::schedule> out;
  std::optional<schedule_reader> reading;
  status failed;
  auto finish = [&] {
    if (reading) out.push_back(std::move(*reading).finish());
    reading.reset();
  };
  auto scanned = db_->scan(cf::schedules, {}, {}, [&](std::string_view k, std::string_view v) {
    auto slash = k.find('/');
    if (slash == std::string_view::npos) {
      finish();
      auto record = decode_schedule(v);
      if (!record) {
        failed = {storage_errc::corruption,
                  "schedule record '" + std::string(k) + "' does not decode"};
        return false;
      }
      reading.emplace(std::move(*record));
    } else if (reading && k.substr(0, slash) == reading->id()) {
      reading->add_run(v);
    }  // else: a run whose schedule was erased while its fire was being written
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  finish();
  return out;
}

}  // namespace baton::storage
