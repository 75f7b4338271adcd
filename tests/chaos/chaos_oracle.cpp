#include "tests/chaos/chaos_oracle.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "model/schedule.hpp"

namespace baton::test::chaos {

namespace {

namespace json = boost::json;
using e2e::parse;
using e2e::text;
using namespace std::chrono_literals;

/// GET `target` as a JSON object; nullopt on any answer but 200.
std::optional<json::object> get_object(std::uint16_t port, const std::string& target) {
  auto r = http_call(port, "GET", target);
  if (r.status != 200) return std::nullopt;
  try {
    return parse(r.body).as_object();
  } catch (const std::exception& e) {
    throw std::runtime_error("GET " + target + " answered 200 with '" + r.body + "': " + e.what());
  }
}

std::optional<json::object> get_process(std::uint16_t port, const std::string& id) {
  return get_object(port, "/api/v1/processes/" + id);
}

json::array history_of(std::uint16_t port, const std::string& id) {
  auto page = get_object(port, "/api/v1/processes/" + id + "/history");
  if (!page) return {};
  return page->at("items").as_array();
}

bool ended(const json::object& p) {
  auto s = text(p, "status");
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

/// The ids of every process in `scope`, following `next` pages.
std::vector<std::string> processes_in(std::uint16_t port, const std::string& scope) {
  std::vector<std::string> ids;
  std::string after;
  for (;;) {
    auto target = "/api/v1/processes?scope=" + scope + "&limit=500";
    if (!after.empty()) target += "&after=" + after;
    auto page = get_object(port, target);
    if (!page) return ids;
    for (const auto& item : page->at("items").as_array())
      ids.push_back(text(item.as_object(), "id"));
    if (!page->at("next").is_string()) return ids;
    after = std::string(page->at("next").as_string());
  }
}

std::string kind_name(work_kind k) {
  switch (k) {
    case work_kind::approval:
      return "ChaosWork";
    case work_kind::nap:
      return "ChaosNap";
    case work_kind::fetch:
      return "ChaosFetch";
  }
  return "?";
}

/// When a process left its scope's queue and when it ended, from its history.
struct run_span {
  std::string id;
  std::int64_t admitted_ms = -1;
  std::int64_t ended_ms = -1;
  std::string story;  ///< "type@ms ..." for a violation's report
};

run_span span_of(std::uint16_t port, const std::string& id) {
  run_span s;
  s.id = id;
  for (const auto& h : history_of(port, id)) {
    const auto& e = h.as_object();
    auto type = text(e, "type");
    auto at = e.at("atMs").to_number<std::int64_t>();
    s.story += type + "@" + std::to_string(at) + " ";
    if (type == "process_started") s.admitted_ms = at;
    if (type == "process_succeeded" || type == "process_failed" || type == "process_cancelled")
      s.ended_ms = at;
  }
  return s;
}

/// Sweeps the admissions and ends in time order, an end before an admission at the same
/// millisecond (the end is what frees the slot). @returns the first instant with more than
/// `limit` running, naming them.
std::optional<std::string> over_limit(const std::string& scope, int limit,
                                      const std::map<std::string, run_span>& spans,
                                      const std::string& what) {
  std::vector<std::pair<std::int64_t, int>> edges;
  for (const auto& [id, s] : spans) {
    edges.push_back({s.admitted_ms, +1});
    edges.push_back({s.ended_ms, -1});
  }
  std::sort(edges.begin(), edges.end());
  int running = 0;
  for (auto [at, delta] : edges) {
    running += delta;
    if (running <= limit) continue;
    auto report = scope + ": " + what + std::to_string(running) + " running at " +
                  std::to_string(at) + " ms, limit " + std::to_string(limit) + ":";
    for (const auto& [id, s] : spans) {
      if (s.admitted_ms <= at && at < s.ended_ms) report += "\n    " + id + ": " + s.story;
    }
    return report;
  }
  return std::nullopt;
}

}  // namespace

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

violations check_starts_kept(std::uint16_t port, const std::vector<acked_start>& starts) {
  violations out;
  for (const auto& s : starts) {
    auto p = get_process(port, s.id);
    if (!p) {
      out.push_back("acknowledged start lost: " + kind_name(s.kind) + " " + s.id);
    } else if (text(*p, "scope") != s.scope) {
      out.push_back("process " + s.id + " in scope '" + text(*p, "scope") + "', started in '" +
                    s.scope + "'");
    }
  }
  return out;
}

violations check_completions_kept(std::uint16_t port,
                                  const std::vector<acked_completion>& completions) {
  violations out;
  for (const auto& c : completions) {
    auto p = get_process(port, c.id);
    if (!p) {
      out.push_back("completed process missing: " + c.id);
      continue;
    }
    bool completed = false;
    for (const auto& step : p->at("steps").as_array()) {
      const auto& s = step.as_object();
      if (text(s, "step") == "approve" && text(s, "status") == "COMPLETED") completed = true;
    }
    if (!completed) {
      out.push_back("acknowledged completion lost: " + c.id + " " + json::serialize(*p));
    }
  }
  return out;
}

violations drive_to_end(std::uint16_t port, const round_names& names,
                        const std::vector<acked_start>& starts, deadline until) {
  std::set<std::string> open;
  for (const auto& s : starts) open.insert(s.id);
  // Starts in flight at the kill may have been kept: those in a scope hold its queue.
  for (const auto& scope : {names.scope_one, names.scope_three}) {
    for (auto& id : processes_in(port, scope)) open.insert(std::move(id));
  }
  std::map<std::string, std::string> last_seen;
  while (!open.empty()) {
    for (auto it = open.begin(); it != open.end();) {
      auto p = get_process(port, *it);
      if (!p) {  // reported by check_starts_kept
        it = open.erase(it);
        continue;
      }
      if (ended(*p)) {
        it = open.erase(it);
        continue;
      }
      last_seen[*it] = json::serialize(*p);
      // An approval whose step waits: complete it the way the workload would have.
      if (text(*p, "definition") == "ChaosWork" && text(*p, "status") == "RUNNING") {
        auto n = p->at("values").as_object().at("n").to_number<std::int64_t>();
        auto r = http_call(port, "POST", "/api/v1/processes/" + *it + "/steps/approve/complete",
                           R"({"ok":)" + std::to_string(n) + "}");
        (void)r;  // 409 while it is between steps; the next pass looks again
      }
      ++it;
    }
    if (open.empty() || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(20ms);  // polling interval, not a wait for something
  }
  violations out;
  for (const auto& id : open) out.push_back("stuck: " + id + " " + last_seen[id]);
  return out;
}

violations check_histories(std::uint16_t port, const std::vector<acked_start>& starts) {
  violations out;
  for (const auto& s : starts) {
    std::int64_t seq = 0;
    int admitted = 0, endings = 0;
    std::map<std::string, int> started;  // by processStepId
    auto items = history_of(port, s.id);
    for (const auto& h : items) {
      const auto& e = h.as_object();
      auto type = text(e, "type");
      if (e.at("seq").as_int64() != ++seq) {
        out.push_back(s.id + ": history seq " + std::to_string(e.at("seq").as_int64()) + " where " +
                      std::to_string(seq) + " was due (a gap or a repeat)");
        break;
      }
      if (type == "process_started") ++admitted;
      if (type == "process_succeeded" || type == "process_failed" || type == "process_cancelled")
        ++endings;
      if (type == "step_started") ++started[text(e, "processStepId")];
    }
    auto where = [&] { return s.id + " (" + json::serialize(items) + "): "; };
    if (admitted != 1) out.push_back(where() + std::to_string(admitted) + " process_started");
    if (endings != 1) out.push_back(where() + std::to_string(endings) + " endings");
    for (const auto& [step, times] : started) {
      if (times != 1)
        out.push_back(where() + step + " started " + std::to_string(times) + " times");
    }
  }
  return out;
}

violations check_outputs(std::uint16_t port, const std::vector<acked_completion>& completions) {
  violations out;
  for (const auto& c : completions) {
    auto p = get_process(port, c.id);
    if (!p) continue;  // reported by check_completions_kept
    auto want = "done " + std::to_string(c.ok);
    const auto& outputs = p->at("outputs");
    auto got = outputs.is_object() ? text(outputs.as_object(), "out") : std::string();
    if (text(*p, "status") != "SUCCEEDED" || got != want) {
      out.push_back("approval " + c.id + " ended without its completion's '" + want +
                    "': " + json::serialize(*p));
    }
  }
  return out;
}

violations check_scopes(std::uint16_t port, const round_names& names,
                        const std::vector<acked_start>& starts) {
  violations out;
  for (auto [scope, limit] : {std::pair{names.scope_one, 1}, {names.scope_three, 3}}) {
    std::map<std::string, run_span> spans;
    for (const auto& id : processes_in(port, scope)) {
      auto s = span_of(port, id);
      if (s.admitted_ms < 0 || s.ended_ms < 0) {
        out.push_back(scope + ": " + id + " has no admission or end in its history");
        continue;
      }
      spans[id] = s;
    }
    if (auto v = over_limit(scope, limit, spans, "")) {
      out.push_back(*v);
      continue;
    }
    // FIFO. The history shows when each process recorded its admission, not when the queue
    // decided it: two admitted together record in either order. What FIFO promises is that
    // B, sent after A was acknowledged, is never admitted while A still waits. So A counts
    // as running from B's admission on at the latest; if that breaks the limit, B took a
    // slot that was A's.
    for (const auto& a : starts) {
      if (a.scope != scope || !spans.contains(a.id)) continue;
      for (const auto& b : starts) {
        if (b.scope != scope || !spans.contains(b.id) || a.acked >= b.sent) continue;
        auto& span = spans[a.id];
        if (spans[b.id].admitted_ms < span.admitted_ms) {
          span.story += "(admitted after " + b.id + " at " +
                        std::to_string(spans[b.id].admitted_ms) + ", sent after it) ";
          span.admitted_ms = spans[b.id].admitted_ms;
        }
      }
    }
    if (auto v = over_limit(scope, limit, spans, "out of order: ")) out.push_back(*v);
  }
  return out;
}

violations check_schedule(std::uint16_t port, const std::string& schedule_id,
                          const round_names& names, std::int64_t from_ms, deadline until) {
  violations out;
  const auto target = "/api/v1/schedules/" + schedule_id;
  struct fire {
    std::int64_t ms;
    std::string process_id;
  };
  auto runs_of = [](const json::object& s) {
    std::vector<fire> runs;
    for (const auto& r : s.at("runs").as_array()) {
      const auto& o = r.as_object();
      runs.push_back({o.at("fireMs").to_number<std::int64_t>(), text(o, "processId")});
    }
    return runs;
  };
  // Wait for the first fire time after `from_ms` (the restart), so that the times missed
  // while the server was down have been planned and fired.
  const auto wanted = (from_ms / 1000 + 1) * 1000;
  std::optional<json::object> s;
  for (;;) {
    s = get_object(port, target);
    if (!s) return {"schedule " + schedule_id + " lost"};
    auto runs = runs_of(*s);
    if (!runs.empty() && runs.back().ms >= wanted) break;
    if (std::chrono::steady_clock::now() > until) {
      return {"schedule " + schedule_id + " did not fire at " + std::to_string(wanted) +
              " ms: " + json::serialize(*s)};
    }
    std::this_thread::sleep_for(50ms);  // polling interval
  }
  auto runs = runs_of(*s);
  const auto created = s->at("createdMs").to_number<std::int64_t>();
  // The stored runs are the newest 20: the first fire is checked only while it is kept.
  if (runs.size() < model::max_runs_kept && runs.front().ms != (created / 1000 + 1) * 1000) {
    out.push_back("schedule " + schedule_id + " created at " + std::to_string(created) +
                  " ms first fired at " + std::to_string(runs.front().ms));
  }
  for (std::size_t i = 1; i < runs.size(); ++i) {
    if (runs[i].ms - runs[i - 1].ms != 1000) {
      out.push_back("schedule " + schedule_id + " fired at " + std::to_string(runs[i - 1].ms) +
                    " then " + std::to_string(runs[i].ms) + " (missed or twice)");
    }
  }
  std::set<std::string> run_processes;
  for (const auto& r : runs) {
    if (r.process_id.empty() || !run_processes.insert(r.process_id).second) {
      out.push_back("schedule " + schedule_id + " fire " + std::to_string(r.ms) +
                    " has no process of its own: '" + r.process_id + "'");
    }
  }
  // Nothing started twice: every process in the schedule's scope is one of its runs. A fire
  // starts its process before it records the run, so the schedule is paused and each
  // process waited for among the runs until `until`: a duplicate fire's process never shows
  // there. Only while the list holds every run: once the oldest are dropped, a fire missed
  // while the server was down may have started after the oldest run kept.
  auto paused = http_call(port, "POST", target + "/pause");
  if (paused.status != 200) {
    out.push_back("pausing schedule " + schedule_id + ": " + std::to_string(paused.status));
    return out;
  }
  std::map<std::string, std::string> strangers;  // process id -> what it is
  for (;;) {
    strangers.clear();
    auto now = get_object(port, target);
    if (!now) return {"schedule " + schedule_id + " lost"};
    auto kept = runs_of(*now);
    if (kept.size() >= model::max_runs_kept) break;
    for (const auto& id : processes_in(port, names.tick_scope)) {
      if (auto p = get_process(port, id)) strangers[id] = json::serialize(*p);
    }
    for (const auto& r : kept) strangers.erase(r.process_id);
    if (strangers.empty() || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(50ms);  // polling interval
  }
  for (const auto& [id, process] : strangers) {
    out.push_back("schedule " + schedule_id + " started " + id +
                  ", none of its runs (a fire started twice?): " + process);
  }
  return out;
}

violations check_http_steps(std::uint16_t port, const std::vector<acked_start>& starts,
                            const stub_server& endpoint) {
  std::map<std::string, int> calls, successes;  // by path /fetch/<tag>
  for (const auto& r : endpoint.requests()) ++calls[r.target];
  violations out;
  for (const auto& s : starts) {
    if (s.kind != work_kind::fetch) continue;
    auto p = get_process(port, s.id);
    if (!p) continue;  // reported by check_starts_kept
    int failed = 0, failed_on_answer = 0;
    for (const auto& h : history_of(port, s.id)) {
      const auto& e = h.as_object();
      // A retried attempt fails as attempt_failed, the last one as step_failed.
      if (text(e, "type") != "attempt_failed" && text(e, "type") != "step_failed") continue;
      ++failed;
      if (text(e, "detail").find("status 500") != std::string::npos) ++failed_on_answer;
    }
    auto path = "/fetch/" + std::to_string(s.n);
    auto status = text(*p, "status");
    auto where = "fetch " + s.id + " (" + path + ", " + std::to_string(calls[path]) + " calls, " +
                 std::to_string(failed) + " failed attempts): ";
    if (status == "FAILED" && failed != 3) {
      out.push_back(where + "failed, but not after exactly 3 failed attempts");
    } else if (status == "SUCCEEDED" && failed > 2) {
      out.push_back(where + "succeeded after more failed attempts than its 2 retries");
    } else if (status != "FAILED" && status != "SUCCEEDED") {
      out.push_back(where + "ended " + status);
    }
    if (calls[path] < failed_on_answer + (status == "SUCCEEDED" ? 1 : 0)) {
      out.push_back(where + "more answered attempts than the endpoint saw");
    }
  }
  return out;
}

violations check_callbacks(std::uint16_t port, const std::vector<acked_start>& starts,
                           const stub_server& receiver, deadline until) {
  std::map<std::string, std::string> final_status;
  for (const auto& s : starts) {
    if (s.kind != work_kind::fetch) continue;
    if (auto p = get_process(port, s.id)) final_status[s.id] = text(*p, "status");
  }
  for (;;) {
    for (const auto& r : receiver.requests()) {
      json::object body;
      try {
        body = parse(r.body).as_object();
      } catch (const std::exception&) {
        std::string headers;
        for (const auto& [name, value] : r.headers) headers += name + ": " + value + "; ";
        return {"callback " + r.method + " " + r.target +
                " with a body that is not a JSON object: '" + r.body + "' (" + headers + ")"};
      }
      auto it = final_status.find(text(body, "id"));
      if (it != final_status.end() && it->second == text(body, "status")) final_status.erase(it);
    }
    if (final_status.empty() || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(50ms);  // polling interval
  }
  violations out;
  for (const auto& [id, status] : final_status) {
    out.push_back("callback of " + id + " ending " + status + " never delivered");
  }
  return out;
}

}  // namespace baton::test::chaos
