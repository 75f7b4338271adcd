#include "storage/process_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "storage/fault_injection.hpp"
#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"

namespace baton::storage {

namespace {

// Index keys: "a/<id>" marks an active process; "s/<STATUS>/<id>" lists by status, for every
// status but RUNNING; "x/<id>" marks a sandbox process (kept apart from real listings).
std::string active_key(std::string_view id) { return "a/" + std::string(id); }
std::string status_key(model::process_status s, std::string_view id) {
  return "s/" + std::string(model::to_string(s)) + "/" + std::string(id);
}
/// RUNNING processes are listed from the active markers (whose need tells a WAITING one
/// apart), not from a status index: a process that parks at once would write "s/RUNNING/"
/// at its start and erase it at its end, two of the nine keys of a start + complete.
/// Data stored before had "s/RUNNING/" keys: `open` erases them (an older binary reading a
/// newer store would therefore not list RUNNING processes; going back is not supported).
bool has_status_key(model::process_status s) { return s != model::process_status::running; }
/// "<id>/<seq as 16 hex digits>": a process's history sorts by sequence number. Built by
/// hand because snprintf took a few hundred instructions per key.
std::string history_key(std::string_view id, std::uint64_t seq) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string key(id.size() + 17, '/');
  id.copy(key.data(), id.size());
  for (std::size_t i = key.size() - 1; i > id.size(); --i, seq >>= 4) key[i] = hex[seq & 0xF];
  return key;
}
std::string definition_key(std::string_view name, std::int64_t version) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "/%012lld", static_cast<long long>(version));
  return std::string(name) + buf;
}

/// Erases the "s/RUNNING/" keys of data stored before RUNNING was listed from the active
/// markers: nothing reads them, and they would stay forever (an empty scan when none are).
status erase_running_index(db& database) {
  const auto prefix = status_key(model::process_status::running, "");
  batch b;
  std::size_t erased = 0;
  auto scanned = database.scan(cf::indexes, prefix, {}, [&](std::string_view k, std::string_view) {
    b.erase(cf::indexes, k);
    ++erased;
    return true;
  });
  if (!scanned.ok()) return scanned;
  return erased ? database.write(b) : status();
}

/// Whether the oldest process snapshot or history record is in the JSON format of an earlier
/// release. Two reads: keys sort by id, which sorts by creation, so a store that holds old
/// records holds them first; a mixed store whose oldest records were rewritten is not told.
bool holds_legacy_records(db& database) {
  bool legacy = false;
  for (auto family : {cf::processes, cf::history}) {
    (void)database.scan(family, {}, {}, [&](std::string_view, std::string_view v) {
      legacy = legacy || is_legacy_record(v);
      return false;
    });
  }
  return legacy;
}

/// A stored record that does not decode: the store is damaged, which is not "not found".
status undecodable(std::string_view what, std::string_view key) {
  return {storage_errc::corruption,
          std::string(what) + " record '" + std::string(key) + "' does not decode"};
}

/// Takes group and other permissions away from the data folder and all in it. The store
/// holds password and API-key hashes, the secret that signs tokens, and every process's
/// values; like PostgreSQL, Baton keeps them from other local users. @returns what it changed.
std::vector<std::string> make_owner_only(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> changed;
  auto fix = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0) return;
    if (::chmod(p.c_str(), st.st_mode & 07700) == 0) changed.push_back(p.string());
  };
  fix(dir);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    fix(it->path());
  }
  return changed;
}

}  // namespace

result<std::unique_ptr<process_store>> process_store::open(const std::string& data_dir,
                                                           store_options options) {
  // Everything the process creates from here on is owner-only from the start (RocksDB's
  // files, the server secret, the initial admin key), not chmod-ed after the fact.
  ::umask(077);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return status{storage_errc::io_error, "cannot create " + data_dir + ": " + ec.message()};
  std::unique_ptr<process_store> s(new process_store());
  auto fixed = make_owner_only(data_dir);
  if (!fixed.empty()) {
    s->notes_.push_back("the data folder was readable by other users; made owner-only: " +
                        std::to_string(fixed.size()) + " files and folders, " + fixed.front() +
                        (fixed.size() > 1 ? " and more" : ""));
  }
  s->disk_ = std::make_unique<disk_guard>(data_dir, options.min_free_bytes, options.ballast_bytes);
  if (s->disk_->release_ballast()) {
    s->notes_.push_back("the data volume is below storage.min_free_bytes: deleted the ballast (" +
                        std::to_string(s->disk_->ballast_bytes()) + " bytes) to open the store");
  }
  // RocksDB reserves ~35 MB ahead for each new log and table file: on a volume with less
  // room than a few of those, that reservation alone fills it (a restart that replays the
  // log writes a table and a new log at once), so it is left off there.
  constexpr std::uint64_t room_to_preallocate = 512ull << 20;
  bool preallocate = s->disk_->last().available >= room_to_preallocate;
  if (!preallocate) {
    s->notes_.push_back("less than 512 MiB free on the data volume: files are not preallocated");
  }
  auto opened = db::open(data_dir + "/db", options.sync, preallocate, options.faults);
  if (!opened.ok() && opened.error().code() == storage_errc::no_space &&
      s->disk_->release_ballast(true)) {
    s->notes_.push_back("the data volume was too full to open the store: deleted the ballast (" +
                        std::to_string(s->disk_->ballast_bytes()) + " bytes) and tried again");
    opened = db::open(data_dir + "/db", options.sync, false, options.faults);
  }
  if (!opened.ok()) return opened.error();
  s->db_ = std::move(opened).value();
  s->faults_ = options.faults;
  if (auto erased = erase_running_index(*s->db_); !erased.ok()) return erased;
  if (holds_legacy_records(*s->db_)) {
    s->notes_.push_back(
        "the store holds process records in the JSON format of an earlier "
        "release: they are read as they are and rewritten in the binary "
        "format when they change");
  }
  (void)s->disk_->lay_ballast();
  s->committer_ = std::make_unique<group_committer>(*s->db_, s->disk_.get());
  return s;
}

process_store::~process_store() {
  committer_.reset();  // drain pending writes before the database closes
}

std::string process_store::put_process(batch& b, const model::process_state& p,
                                       std::optional<model::process_status> previous) const {
  auto snapshot = encode_process(p);
  b.put(cf::processes, p.id, snapshot);
  bool changed = !previous || *previous != p.status;
  if (changed && previous && has_status_key(*previous)) {
    b.erase(cf::indexes, status_key(*previous, p.id));
  }
  if (changed && has_status_key(p.status)) b.put(cf::indexes, status_key(p.status, p.id), {});
  if (model::is_terminal(p.status)) {
    if (previous && !model::is_terminal(*previous)) b.erase(cf::indexes, active_key(p.id));
  } else {
    // Rewritten on every transition: recovery reads what to re-arm from here alone.
    b.put(cf::indexes, active_key(p.id), encode_recovery_need(model::recovery_need_of(p)));
  }
  return snapshot;
}

void process_store::put_history(batch& b, std::string_view process_id,
                                const std::vector<model::history_entry>& entries) const {
  if (entries.empty()) return;
  // One record per transition, keyed by its first entry: a start writes 4-5 entries, and
  // each key costs a memtable insert and a WAL record (8k instructions each).
  std::vector<const model::history_entry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* x, auto* y) { return x->seq < y->seq; });
  b.put(cf::history, history_key(process_id, sorted.front()->seq), encode_history_run(sorted));
}

result<std::optional<std::string>> process_store::process_raw(std::string_view id) const {
  if (faults_) faults_->wait_while_reads_stalled();
  return db_->get(cf::processes, id);
}

std::optional<std::uint64_t> process_store::snapshot_mark(std::string_view id) const {
  return db_->write_mark(id);
}

result<std::optional<std::string>> process_store::scope_settings_raw(std::string_view scope) const {
  if (faults_) faults_->wait_while_reads_stalled();
  return db_->get(cf::scopes, scope);
}

status process_store::decode_snapshot(std::string_view id, std::string_view stored,
                                      model::process_state& out) {
  if (!decode_process_into(stored, out)) return undecodable("process", id);
  return {};
}

result<std::optional<model::process_state>> process_store::load_process(std::string_view id) const {
  auto raw = process_raw(id);
  if (!raw.ok()) return raw.error();
  if (!raw.value()) return std::optional<model::process_state>();
  std::optional<model::process_state> p{std::in_place};
  if (auto decoded = decode_snapshot(id, *raw.value(), *p); !decoded.ok()) return decoded;
  return p;
}

result<std::vector<model::history_entry>> process_store::history(std::string_view id) const {
  std::vector<model::history_entry> out;
  status failed;
  auto scanned = db_->scan(cf::history, std::string(id) + "/", {},
                           [&](std::string_view k, std::string_view v) {
                             if (decode_history_record(v, out)) return true;
                             failed = undecodable("history", k);
                             return false;
                           });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return out;
}

namespace {

/// The creation millisecond an id carries in its first 12 hex digits (ids never run behind
/// the clock that stamped `created_ms`, so id time ≥ creation time).
std::int64_t id_ms(std::string_view id) {
  std::int64_t ms = 0;
  std::from_chars(id.data(), id.data() + std::min<std::size_t>(12, id.size()), ms, 16);
  return ms;
}

std::string id_time_prefix(std::int64_t ms) {
  char buf[13];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(ms & 0xffffffffffffLL));
  return std::string(buf, 12);
}

}  // namespace

result<process_page> process_store::list(const process_query& q) const {
  process_page page;
  status failed;
  /// The process when it matches the query.
  auto accept = [&](std::string_view id,
                    std::string_view raw) -> std::optional<model::process_state> {
    auto p = decode_process(raw);
    if (!p) {
      failed = undecodable("process", id);
      return std::nullopt;
    }
    if (p->sandbox != q.sandbox) return std::nullopt;
    if (q.status && p->status != *q.status) return std::nullopt;
    if (!q.definition.empty() && p->definition != q.definition) return std::nullopt;
    if (!q.scope.empty() && p->scope != q.scope) return std::nullopt;
    if (q.visible && !q.visible(p->definition)) return std::nullopt;
    if (q.created_from_ms && p->created_ms < *q.created_from_ms) return std::nullopt;
    if (q.created_to_ms && p->created_ms > *q.created_to_ms) return std::nullopt;
    if (q.where && !q.where(*p)) return std::nullopt;
    return p;
  };
  /// Whether the scan has passed the time window: nothing further can match.
  auto past_window = [&](std::string_view id) {
    return q.newest_first ? q.created_from_ms && id_ms(id) < *q.created_from_ms
                          : q.created_to_ms && id_ms(id) > *q.created_to_ms;
  };
  std::size_t skipped = 0;
  std::string last;
  auto take = [&](std::string_view id, std::string_view raw) {
    if (past_window(id)) return false;
    if (!q.after.empty() && id == q.after) return true;  // the cursor itself (backward seek)
    auto p = accept(id, raw);
    if (!failed.ok()) return false;
    if (!p) return true;
    if (skipped < q.skip) {
      ++skipped;
      last = std::string(id);
      return true;
    }
    if (page.states.size() == q.limit) {
      page.next = last;
      return false;
    }
    page.states.push_back(std::move(*p));
    last = std::string(id);
    return true;
  };
  // Where the scan begins, as an id (the key without the index prefix).
  std::string from_id;
  if (!q.after.empty()) {
    from_id = q.newest_first ? q.after : q.after + "\x01";
  } else if (q.newest_first && q.created_to_ms) {
    from_id = id_time_prefix(*q.created_to_ms + 1);
  } else if (!q.newest_first && q.created_from_ms) {
    from_id = id_time_prefix(*q.created_from_ms);
  }
  auto scan = [&](cf family, const std::string& prefix, const auto& visit) {
    auto start = from_id.empty() ? std::string() : prefix + from_id;
    auto scanned = q.newest_first ? db_->scan_backward(family, prefix, start, visit)
                                  : db_->scan(family, prefix, start, visit);
    if (failed.ok()) failed = std::move(scanned);
  };
  /// Takes the process an index entry names; an entry whose process is gone is passed over
  /// (a status index and its snapshot are written in one batch, so that is no damage here).
  auto take_indexed = [&](std::string_view id) {
    auto raw = db_->get(cf::processes, id);
    if (!raw.ok()) {
      failed = raw.error();
      return false;
    }
    return raw.value() ? take(id, *raw.value()) : true;
  };
  if (q.status && !has_status_key(*q.status)) {
    scan(cf::indexes, "a/", [&](std::string_view k, std::string_view v) {
      auto id = k.substr(2);
      if (past_window(id)) return false;
      // A marker whose need is admission belongs to a WAITING process: skip it unread.
      if (auto need = decode_recovery_need(v); need && need->kind == model::recovery_kind::queued) {
        return true;
      }
      return take_indexed(id);
    });
  } else if (q.status) {
    auto prefix = "s/" + std::string(model::to_string(*q.status)) + "/";
    scan(cf::indexes, prefix, [&](std::string_view k, std::string_view) {
      return take_indexed(k.substr(prefix.size()));
    });
  } else {
    scan(cf::processes, std::string(),
         [&](std::string_view k, std::string_view v) { return take(k, v); });
  }
  if (!failed.ok()) return failed;
  return page;
}

status process_store::for_each_active(
    const std::function<void(model::process_state)>& visit) const {
  status failed;
  auto scanned = db_->scan(cf::indexes, "a/", {}, [&](std::string_view k, std::string_view) {
    auto p = load_process(k.substr(2));
    if (!p.ok()) {
      failed = p.error();
      return false;
    }
    if (p.value()) visit(std::move(*p.value()));
    return true;
  });
  return failed.ok() ? scanned : failed;
}

status process_store::for_each_recovery_need(
    const std::function<void(std::string_view, model::recovery_need)>& visit) const {
  status failed;
  auto scanned = db_->scan(cf::indexes, "a/", {}, [&](std::string_view k, std::string_view v) {
    auto id = k.substr(2);
    if (auto need = decode_recovery_need(v)) {
      visit(id, std::move(*need));
      return true;
    }
    auto p = load_process(id);  // a marker from before needs were kept
    if (!p.ok()) {
      failed = p.error();
      return false;
    }
    if (p.value()) visit(id, model::recovery_need_of(*p.value()));
    return true;
  });
  return failed.ok() ? scanned : failed;
}

void process_store::put_callback(batch& b, std::string_view process_id,
                                 const model::callback_target& c) const {
  b.put(cf::indexes, "c/" + std::string(process_id), encode_callback(c));
}

result<std::optional<model::callback_target>> process_store::callback(
    std::string_view process_id) const {
  auto raw = db_->get(cf::indexes, "c/" + std::string(process_id));
  if (!raw.ok()) return raw.error();
  if (!raw.value()) return std::optional<model::callback_target>();
  auto c = decode_callback(*raw.value());
  if (!c) return undecodable("callback", process_id);
  return c;
}

void process_store::erase_callback(batch& b, std::string_view process_id) const {
  b.erase(cf::indexes, "c/" + std::string(process_id));
}

std::string process_store::put_outbox(batch& b, std::string_view process_id, std::uint64_t seq,
                                      std::string_view snapshot) const {
  auto key = "o/" + history_key(process_id, seq);
  b.put(cf::indexes, key, snapshot);
  return key;
}

void process_store::erase_outbox(batch& b, std::string_view key) const {
  b.erase(cf::indexes, key);
}

status process_store::for_each_outbox(
    const std::function<void(std::string_view, std::string_view)>& visit) const {
  return db_->scan(cf::indexes, "o/", {}, [&](std::string_view k, std::string_view v) {
    visit(k, v);
    return true;
  });
}

result<std::optional<std::string>> process_store::outbox_raw(std::string_view key) const {
  return db_->get(cf::indexes, key);
}

std::string_view process_store::process_of_outbox_key(std::string_view key) {
  auto rest = key.substr(std::min<std::size_t>(2, key.size()));
  return rest.substr(0, rest.find('/'));
}

void process_store::put_definition(batch& b, const model::definition& d) const {
  b.put(cf::definitions, definition_key(d.name, d.version), encode_definition(d));
}

result<std::vector<model::definition>> process_store::load_definitions() const {
  std::vector<model::definition> out;
  status failed;
  auto scanned = db_->scan(cf::definitions, {}, {}, [&](std::string_view k, std::string_view v) {
    if (is_retirement_key(k)) return true;
    auto d = decode_definition(v);
    if (!d) {
      failed = undecodable("definition", k);
      return false;
    }
    out.push_back(std::move(*d));
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return out;
}

namespace {
constexpr std::string_view retirement_suffix = "/retired";
}

bool process_store::is_retirement_key(std::string_view key) {
  return key.ends_with(retirement_suffix);
}

void process_store::put_retirement(batch& b, std::string_view name,
                                   const model::retirement& r) const {
  b.put(cf::definitions, std::string(name) + std::string(retirement_suffix), encode_retirement(r));
}

void process_store::erase_retirement(batch& b, std::string_view name) const {
  b.erase(cf::definitions, std::string(name) + std::string(retirement_suffix));
}

result<std::map<std::string, model::retirement, std::less<>>> process_store::load_retirements()
    const {
  std::map<std::string, model::retirement, std::less<>> out;
  status failed;
  auto scanned = db_->scan(cf::definitions, {}, {}, [&](std::string_view k, std::string_view v) {
    if (!is_retirement_key(k)) return true;
    auto r = decode_retirement(v);
    if (!r) {
      failed = undecodable("definition retirement", k);
      return false;
    }
    out.emplace(std::string(k.substr(0, k.size() - retirement_suffix.size())), std::move(*r));
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return out;
}

result<std::optional<std::string>> process_store::idempotent_answer(std::string_view key) const {
  return db_->get(cf::idempotency, key);
}

void process_store::put_idempotent_answer(batch& b, std::string_view key,
                                          std::string_view answer) const {
  b.put(cf::idempotency, key, answer);
}

}  // namespace baton::storage
