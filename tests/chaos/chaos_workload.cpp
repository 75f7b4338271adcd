#include "tests/chaos/chaos_workload.hpp"

#include <algorithm>

namespace baton::test::chaos {

namespace {

using e2e::parse;
using e2e::text;

/// The external step's param is the value the final output must carry: a completion lost or
/// applied to the wrong process shows in `out`.
constexpr std::string_view approval_definition = R"({
  "name": "ChaosWork", "inputs": {"n": "long"}, "outputs": ["out"],
  "steps": [{"id": "approve", "kind": "external", "params": {"ok": "long"}},
            {"id": "finish", "kind": "script", "set": {"out": "done ${ok}"}}]})";

constexpr std::string_view nap_definition = R"({
  "name": "ChaosNap", "outputs": ["done"],
  "steps": [{"id": "nap", "kind": "timer", "duration": "200ms"},
            {"id": "after", "kind": "script", "set": {"done": "yes"}}]})";

/// Retry count 2: three attempts at most, the policy the oracle checks the history against.
constexpr std::string_view fetch_definition = R"({
  "name": "ChaosFetch", "inputs": {"url": "string"}, "outputs": ["fetched"],
  "steps": [{"id": "fetch", "kind": "http", "timeoutMs": 2000,
             "http": {"method": "POST", "url": "${url}", "body": {}, "expect": [200]},
             "retry": {"count": 2, "backoff": "exponential", "initialMs": 50, "maxMs": 200}},
            {"id": "after", "kind": "script", "set": {"fetched": "yes"}}]})";

constexpr std::string_view tick_definition = R"({
  "name": "ChaosTick", "inputs": {"round": "long"}, "outputs": ["ticked"],
  "steps": [{"id": "tick", "kind": "script", "set": {"ticked": "round ${round}"}}]})";

std::atomic<std::uint64_t> order_counter{0};
std::atomic<std::int64_t> fetch_tags{0};

}  // namespace

std::uint64_t next_tick() { return ++order_counter; }

round_names names_for(int round) {
  auto r = std::to_string(round);
  return {round, "one-r" + r, "three-r" + r, "tick-r" + r};
}

void add_chaos_definitions(e2e::definitions_folder& defs) {
  defs.add("ChaosWork", approval_definition);
  defs.add("ChaosNap", nap_definition);
  defs.add("ChaosFetch", fetch_definition);
  defs.add("ChaosTick", tick_definition);
}

void ledger::add_start(acked_start s) {
  std::lock_guard lock(mutex_);
  starts_.push_back(std::move(s));
}

void ledger::add_completion(acked_completion c) {
  std::lock_guard lock(mutex_);
  completions_.push_back(std::move(c));
}

void ledger::add_refusal(std::string what) {
  std::lock_guard lock(mutex_);
  refusals_.push_back(std::move(what));
}

std::vector<std::string> ledger::refusals() const {
  std::lock_guard lock(mutex_);
  return refusals_;
}

std::vector<acked_start> ledger::starts() const {
  std::lock_guard lock(mutex_);
  return starts_;
}

std::vector<acked_completion> ledger::completions() const {
  std::lock_guard lock(mutex_);
  return completions_;
}

bool ledger::claim_approval(std::mt19937_64& rng, acked_start& out) {
  std::lock_guard lock(mutex_);
  std::vector<const acked_start*> open;
  for (const auto& s : starts_) {
    if (s.kind == work_kind::approval && !claimed_.contains(s.id)) open.push_back(&s);
  }
  if (open.empty()) return false;
  out = *open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(rng)];
  claimed_.insert(out.id);
  return true;
}

void ledger::release_claim(const std::string& id) {
  std::lock_guard lock(mutex_);
  claimed_.erase(id);
}

workload::workload(std::uint16_t port, round_names names, std::string fetch_url,
                   std::string callback_url, ledger& book)
    : port_(port),
      names_(std::move(names)),
      fetch_url_(std::move(fetch_url)),
      callback_url_(std::move(callback_url)),
      book_(book) {}

void workload::run(std::uint64_t seed, const std::atomic<bool>& stop) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(0, 99);
  while (!stop) {
    bool alive = true;
    try {
      int p = pick(rng);
      if (p < 40) {
        alive = start_approval(rng);
      } else if (p < 55) {
        alive = start_nap();
      } else if (p < 70) {
        alive = start_fetch();
      } else {
        alive = complete_one(rng);
      }
    } catch (const std::exception&) {
      alive = false;  // the connection broke: the server is down
    }
    if (!alive) return;
  }
}

bool workload::start_approval(std::mt19937_64& rng) {
  acked_start s;
  s.kind = work_kind::approval;
  s.n = std::uniform_int_distribution<std::int64_t>(1, 1'000'000)(rng);
  int where = std::uniform_int_distribution<int>(0, 2)(rng);
  s.scope = where == 0 ? "" : where == 1 ? names_.scope_one : names_.scope_three;
  std::string body = R"({"definition":"ChaosWork","values":{"n":)" + std::to_string(s.n) + "}";
  if (!s.scope.empty()) body += R"(,"scope":")" + s.scope + "\"";
  return send_start(body + "}", std::move(s));
}

bool workload::start_nap() {
  acked_start s;
  s.kind = work_kind::nap;
  return send_start(R"({"definition":"ChaosNap"})", std::move(s));
}

bool workload::start_fetch() {
  acked_start s;
  s.kind = work_kind::fetch;
  s.n = ++fetch_tags;
  auto body = R"({"definition":"ChaosFetch","values":{"url":")" + fetch_url_ + "/" +
              std::to_string(s.n) + R"("},"callback":{"url":")" + callback_url_ + "\"}}";
  return send_start(body, std::move(s));
}

bool workload::send_start(const std::string& body, acked_start s) {
  s.sent = next_tick();
  auto r = http_call(port_, "POST", "/api/v1/processes", body);
  s.acked = next_tick();
  if (r.status == 201) {
    s.id = text(parse(r.body).as_object(), "id");
    book_.add_start(std::move(s));
    return true;
  }
  // A 503 while the server shuts down or recovers is no acknowledgment; a 4xx is a request
  // the driver got wrong, which would make the checks meaningless: the oracle reports it.
  if (r.status < 500)
    book_.add_refusal("start " + body + ": " + std::to_string(r.status) + " " + r.body);
  return true;
}

bool workload::complete_one(std::mt19937_64& rng) {
  acked_start s;
  if (!book_.claim_approval(rng, s)) return start_approval(rng);
  auto r = http_call(port_, "POST", "/api/v1/processes/" + s.id + "/steps/approve/complete",
                     R"({"ok":)" + std::to_string(s.n) + "}");
  if (r.status == 200) {
    book_.add_completion({s.id, s.n});
  } else {
    // Still queued in its scope (409), or the server is going down.
    if (r.status != 409 && r.status < 500) {
      book_.add_refusal("complete " + s.id + ": " + std::to_string(r.status) + " " + r.body);
    }
    book_.release_claim(s.id);
  }
  return true;
}

bool set_scope_limits(std::uint16_t port, const round_names& names, std::string& error) {
  for (auto [scope, limit] : {std::pair{names.scope_one, 1}, {names.scope_three, 3}}) {
    auto r = http_call(port, "PUT", "/api/v1/scopes/" + scope,
                       R"({"limit":)" + std::to_string(limit) + "}");
    if (r.status != 200) {
      error = "PUT /api/v1/scopes/" + scope + ": " + std::to_string(r.status) + " " + r.body;
      return false;
    }
  }
  return true;
}

}  // namespace baton::test::chaos
