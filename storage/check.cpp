#include "storage/check.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <unordered_map>

#include "storage/json_codec.hpp"
#include "storage/message_store.hpp"
#include "storage/process_store.hpp"
#include "storage/record_codec.hpp"

namespace baton::storage {

namespace {

std::string printable(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

/// A stored record of JSON text after the format byte: its object, if it is one.
std::optional<boost::json::value> stored_json(std::string_view stored) {
  if (stored.empty() || stored[0] != format_v1) return std::nullopt;
  boost::json::error_code ec;
  auto v = boost::json::parse(json_of(stored), ec);
  if (ec) return std::nullopt;
  return v;
}

bool is_hex16(std::string_view s) {
  return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

/// What the index scan learns of one process.
struct process_seen {
  model::process_status status;
  std::string scope;
  bool has_active = false;
  bool has_status = false;
};

class checker {
 public:
  checker(const db& database, check_report& report, std::size_t max_problems)
      : db_(database), report_(report), max_problems_(max_problems) {}

  void run() {
    processes();
    indexes();
    per_process();
    history();
    definitions();
    scopes();
    schedules();
    idempotency();
    count_only(cf::auth);
    count_only(cf::meta);
  }

 private:
  void problem(cf family, std::string_view key, std::string what) {
    if (report_.problems.size() >= max_problems_) {
      ++report_.more_problems;
      return;
    }
    report_.problems.push_back({family, printable(key), std::move(what)});
  }

  /// Scans a whole family, counting its records.
  template <class Visit>
  void scan(cf family, Visit visit) {
    auto scanned = db_.scan(family, {}, {}, [&](std::string_view k, std::string_view v) {
      ++report_.records[static_cast<std::size_t>(family)];
      visit(k, v);
      return true;
    });
    // A family that could not be read to its end is a problem of its own, not a clean pass.
    if (!scanned.ok()) problem(family, "", "cannot read the family: " + scanned.describe());
  }

  void processes() {
    scan(cf::processes, [&](std::string_view k, std::string_view v) {
      auto p = decode_process(v);
      if (!p) return problem(cf::processes, k, "process snapshot does not decode");
      if (p->id != k) return problem(cf::processes, k, "snapshot holds process " + p->id);
      ++report_.processes;
      if (!model::is_terminal(p->status)) ++report_.active_processes;
      processes_.emplace(std::string(k), process_seen{p->status, std::move(p->scope)});
    });
  }

  process_seen* find(std::string_view id) {
    auto it = processes_.find(std::string(id));
    return it == processes_.end() ? nullptr : &it->second;
  }

  void indexes() {
    scan(cf::indexes, [&](std::string_view k, std::string_view v) {
      auto tag = k.substr(0, 2);
      auto rest = k.substr(std::min<std::size_t>(2, k.size()));
      if (tag == "a/") return active_marker(k, rest, v);
      if (tag == "s/") return status_entry(k, rest);
      if (tag == "c/") {
        // The decoder takes any JSON; a target is of use only with somewhere to send to.
        if (auto c = decode_callback(v); !c || c->url.empty()) {
          problem(cf::indexes, k, "callback target does not decode");
        }
        if (!find(rest)) problem(cf::indexes, k, "callback target of a process not stored");
        return;
      }
      if (tag == "o/") {
        auto id = rest.substr(0, rest.find('/'));
        auto seq = rest.substr(std::min(rest.size(), id.size() + 1));
        if (!is_hex16(seq)) problem(cf::indexes, k, "outbox key without a sequence number");
        if (!decode_process(v)) problem(cf::indexes, k, "outbox snapshot does not decode");
        if (!find(id)) problem(cf::indexes, k, "outbox entry of a process not stored");
        return;
      }
      if (auto fine = check_message_record(k, v)) {
        if (!*fine) problem(cf::indexes, k, "message record does not decode");
        return;
      }
      problem(cf::indexes, k, "index entry of no known kind");
    });
  }

  void active_marker(std::string_view k, std::string_view id, std::string_view v) {
    auto* p = find(id);
    if (!p) return problem(cf::indexes, k, "active marker of a process not stored");
    p->has_active = true;
    if (model::is_terminal(p->status)) {
      problem(cf::indexes, k,
              "active marker of a " + std::string(model::to_string(p->status)) + " process");
    }
    if (v.empty()) return;  // written before markers kept a need: recovery reads the snapshot
    auto need = decode_recovery_need(v);
    if (!need) return problem(cf::indexes, k, "active marker's recovery need does not decode");
    bool queued = need->kind == model::recovery_kind::queued;
    if (queued != (p->status == model::process_status::waiting)) {
      return problem(cf::indexes, k,
                     std::string(queued ? "queued" : "not queued") + " marker of a " +
                         std::string(model::to_string(p->status)) + " process");
    }
    if (queued && need->scope != p->scope) {
      return problem(
          cf::indexes, k,
          "queued in scope \"" + need->scope + "\" but the process is in \"" + p->scope + "\"");
    }
    if (queued && !need->scope.empty()) ++report_.queued_processes;
  }

  void status_entry(std::string_view k, std::string_view rest) {
    auto slash = rest.find('/');
    auto status = model::parse_process_status(rest.substr(0, slash));
    if (slash == std::string_view::npos || !status) {
      return problem(cf::indexes, k, "status entry of no known status");
    }
    auto id = rest.substr(slash + 1);
    auto* p = find(id);
    if (!p) return problem(cf::indexes, k, "status entry of a process not stored");
    if (*status == model::process_status::running) {
      // Erased when a server opens the store (RUNNING is listed from the active markers).
      return problem(cf::indexes, k, "RUNNING status entry of an older layout");
    }
    if (p->status != *status) {
      return problem(cf::indexes, k,
                     "status entry of a " + std::string(model::to_string(p->status)) + " process");
    }
    p->has_status = true;
  }

  void per_process() {
    for (const auto& [id, p] : processes_) {
      if (!model::is_terminal(p.status) && !p.has_active) {
        problem(cf::processes, id,
                std::string(model::to_string(p.status)) + " process without its active marker");
      }
      if (p.status != model::process_status::running && !p.has_status) {
        problem(cf::processes, id,
                std::string(model::to_string(p.status)) + " process without its status entry");
      }
    }
  }

  void history() {
    std::vector<model::history_entry> entries;
    scan(cf::history, [&](std::string_view k, std::string_view v) {
      auto slash = k.rfind('/');
      if (slash == std::string_view::npos || !is_hex16(k.substr(slash + 1))) {
        return problem(cf::history, k, "history key is not <process id>/<sequence>");
      }
      if (!find(k.substr(0, slash))) problem(cf::history, k, "history of a process not stored");
      entries.clear();
      if (!decode_history_record(v, entries) || entries.empty()) {
        return problem(cf::history, k, "history record does not decode");
      }
    });
  }

  void definitions() {
    scan(cf::definitions, [&](std::string_view k, std::string_view v) {
      if (process_store::is_retirement_key(k)) {
        if (!decode_retirement(v)) problem(cf::definitions, k, "retirement does not decode");
        return;
      }
      auto d = decode_definition(v);
      if (!d) return problem(cf::definitions, k, "definition does not decode");
      if (k != fmt::format("{}/{:012}", d->name, d->version)) {
        problem(cf::definitions, k,
                fmt::format("key does not match the definition's {} v{}", d->name, d->version));
      }
    });
  }

  void scopes() {
    scan(cf::scopes, [&](std::string_view k, std::string_view v) {
      auto json = stored_json(v);
      if (!json || !json->is_object() || !json->as_object().contains("limit")) {
        problem(cf::scopes, k, "scope settings do not decode");
      }
    });
  }

  void schedules() {
    std::string record;  // the schedule whose runs follow its record in key order
    scan(cf::schedules, [&](std::string_view k, std::string_view v) {
      auto slash = k.find('/');
      if (slash == std::string_view::npos) {
        ++report_.schedules;
        record = std::string(k);
        auto s = decode_schedule(v);
        if (!s) return problem(cf::schedules, k, "schedule does not decode");
        if (s->id != k) problem(cf::schedules, k, "record holds schedule " + s->id);
        return;
      }
      if (!is_hex16(k.substr(slash + 1))) {
        return problem(cf::schedules, k, "run key is not <schedule id>/<fire time>");
      }
      if (!decode_schedule_run(v)) return problem(cf::schedules, k, "schedule run does not decode");
      if (k.substr(0, slash) != record) ++report_.orphan_schedule_runs;
    });
  }

  void idempotency() {
    scan(cf::idempotency, [&](std::string_view k, std::string_view v) {
      if (!find(v)) problem(cf::idempotency, k, "idempotency key answers a process not stored");
    });
  }

  void count_only(cf family) {
    scan(family, [](std::string_view, std::string_view) {});
  }

  const db& db_;
  check_report& report_;
  std::size_t max_problems_;
  std::unordered_map<std::string, process_seen> processes_;
};

}  // namespace

std::string check_problem::to_string() const {
  return fmt::format("{} {}: {}", cf_name(family), key, what);
}

std::string check_report::summary() const {
  std::string out;
  for (std::size_t i = 0; i < cf_count; ++i) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", records[i], cf_name(static_cast<cf>(i)));
  }
  out += fmt::format(" records; {} processes ({} active, {} queued in scopes), {} schedules",
                     processes, active_processes, queued_processes, schedules);
  if (orphan_schedule_runs) out += fmt::format(", {} orphan schedule runs", orphan_schedule_runs);
  auto total = problems.size() + more_problems;
  out += total ? fmt::format("; {} problems", total) : std::string("; no problems");
  return out;
}

check_report check(const db& database, std::size_t max_problems) {
  check_report report;
  checker(database, report, max_problems).run();
  return report;
}

}  // namespace baton::storage
