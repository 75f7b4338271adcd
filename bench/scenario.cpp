#include "bench/scenario.hpp"

#include <fmt/core.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace baton::bench {

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Samples the server's /proc and /metrics as the measured window opens and closes.
struct window_probe {
  window_probe(const target& tt, run_report& r, std::string key)
      : t(tt), report(r), api_key(std::move(key)) {}
  const target& t;
  run_report& report;
  std::string api_key;  ///< /metrics needs credentials
  metrics_sample metrics_open, metrics_close;
  std::chrono::steady_clock::time_point opened, closed;

  void attach(load_options& lo) {
    lo.on_window_open = [this] {
      opened = std::chrono::steady_clock::now();
      report.server_before = sample_process(t.pid);
      metrics_open = scrape_metrics(t.endpoint, api_key);
    };
    lo.on_window_close = [this] {
      closed = std::chrono::steady_clock::now();
      report.server_after = sample_process(t.pid);
      metrics_close = scrape_metrics(t.endpoint, api_key);
    };
  }

  void finish() {
    report.have_server = report.server_before.ok && report.server_after.ok;
    report.cpu_window_s = std::chrono::duration<double>(closed - opened).count();
    if (metrics_open.ok && metrics_close.ok) {
      report.store = store_between(metrics_open, metrics_close);
    }
  }
};

std::string mode_of(const load_options& lo) {
  auto loop = lo.rate > 0 ? fmt::format("open loop at {:.0f}/s", lo.rate) : "closed loop";
  auto span = lo.count > 0
                  ? fmt::format("{} units", lo.count)
                  : fmt::format("{:.0f} s", std::chrono::duration<double>(lo.duration).count());
  return fmt::format("{}, {} connections, {} client thread{}, {} after {:.0f} s warm-up", loop,
                     lo.connections, lo.threads, lo.threads == 1 ? "" : "s", span,
                     std::chrono::duration<double>(lo.warmup).count());
}

/// A start body for `definition`, with extra members (`"scope":"x"`) when given.
std::string start_body(std::string_view definition, std::string_view extra = {}) {
  std::string body = "{\"definition\":\"";
  body += definition;
  body += "\",\"values\":{}";
  if (!extra.empty()) body.append(",").append(extra);
  body += '}';
  return body;
}

/// Starts a process and, when it waits at its external step, completes that step. The unit
/// is the whole round trip: two durable transitions, counted when the process has finished.
asio::awaitable<unit_outcome> start_and_complete(connection& conn, const std::string& start,
                                                 const std::string& host,
                                                 const std::string& api_key) {
  auto started = co_await conn.exchange(start);
  if (started.status != 201) {
    auto o = outcome_of(started, 201);
    o.key = "start " + o.key;
    co_return o;
  }
  auto step = string_field(started.body, "processStepId");
  if (step.empty()) co_return unit_outcome{"start 201 without a processStepId", false};
  auto body = "{\"processStepId\":\"" + step + "\",\"params\":{}}";
  auto done = co_await conn.exchange(
      make_request("POST", "/api/v1/processes/complete-step", host, body, api_key));
  auto o = outcome_of(done, 200);
  if (o.ok) co_return o;
  o.key = "complete " + o.key;
  co_return o;
}

/// Units for the throughput scenarios. `ids` feeds `status`.
unit_fn unit_for(const bench_options& options, const target& t,
                 std::shared_ptr<const std::vector<std::string>> ids) {
  const auto& name = options.scenario;
  auto request = [&](std::string_view method, std::string_view path, std::string_view body) {
    return std::make_shared<const std::string>(
        make_request(method, path, t.host, body, options.api_key));
  };
  auto fixed = [](std::shared_ptr<const std::string> req, unsigned expected) -> unit_fn {
    return [req, expected](connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
      co_return outcome_of(co_await c.exchange(*req), expected);
    };
  };
  if (name == "healthz") return fixed(request("GET", "/healthz", {}), 200);
  if (name == "start") {
    return fixed(request("POST", "/api/v1/processes", start_body("BenchNoop")), 201);
  }
  if (name == "start-wait") {
    return fixed(
        request("POST", "/api/v1/processes",
                start_body("BenchNoop", "\"wait\":{\"result\":\"x\",\"timeoutMs\":10000}")),
        200);
  }
  if (name == "parallel") {
    // A unit is one process whose four branches run as child processes and join: answered
    // (200) once the parent has ended.
    return fixed(
        request("POST", "/api/v1/processes",
                start_body("BenchParallel", "\"wait\":{\"result\":\"x\",\"timeoutMs\":10000}")),
        200);
  }
  if (name == "scope-hot") {
    return fixed(
        request("POST", "/api/v1/processes", start_body("BenchNoop", "\"scope\":\"bench-hot\"")),
        201);
  }
  if (name == "scope-many") {
    // One request text per scope, built once.
    auto reqs = std::make_shared<std::vector<std::string>>();
    for (std::uint64_t i = 0; i < std::max<std::uint64_t>(options.scopes, 1); ++i) {
      reqs->push_back(make_request(
          "POST", "/api/v1/processes", t.host,
          start_body("BenchNoop", fmt::format("\"scope\":\"bench-{}\"", i)), options.api_key));
    }
    return [reqs](connection& c, std::uint64_t seq) -> asio::awaitable<unit_outcome> {
      co_return outcome_of(co_await c.exchange((*reqs)[seq % reqs->size()]), 201);
    };
  }
  if (name == "start-complete") {
    auto start = request("POST", "/api/v1/processes", start_body("BenchExternal"));
    return [start, host = t.host, key = options.api_key](
               connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
      co_return co_await start_and_complete(c, *start, host, key);
    };
  }
  if (name == "status") {
    auto reqs = std::make_shared<std::vector<std::string>>();
    for (const auto& id : *ids) {
      reqs->push_back(make_request("GET", "/api/v1/processes/" + id, t.host, {}, options.api_key));
    }
    return [reqs](connection& c, std::uint64_t seq) -> asio::awaitable<unit_outcome> {
      // A multiplicative hash spreads consecutive units over the key space, as many
      // independent pollers would.
      auto i = (seq * 0x9E3779B97F4A7C15ull) % reqs->size();
      co_return outcome_of(co_await c.exchange((*reqs)[i]), 200);
    };
  }
  throw std::runtime_error("no load unit for scenario " + name);
}

run_report run_throughput(const bench_options& options) {
  run_report report;
  report.scenario = options.scenario;
  report.label = options.load.label;
  auto t = open_target(options);
  std::shared_ptr<const std::vector<std::string>> ids;
  if (options.scenario == "status") {
    auto n = options.populate ? options.populate : 10'000;
    auto populated = populate_processes(options, t, "BenchExternal", n);
    if (populated.empty()) throw std::runtime_error("status: no process could be started");
    ids = std::make_shared<const std::vector<std::string>>(std::move(populated));
    report.figure("populated", static_cast<double>(ids->size()));
    report.notes.push_back(fmt::format(
        "GETs spread over {} processes waiting at an external step (RUNNING)", ids->size()));
  }
  auto lo = options.load;
  window_probe probe(t, report, options.api_key);
  probe.attach(lo);
  report.mode = mode_of(lo);
  report.load = run_load(t.endpoint, lo, unit_for(options, t, ids));
  probe.finish();
  if (t.spawned) t.spawned->stop();
  return report;
}

}  // namespace

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> names = {
      "healthz", "start",    "start-wait", "start-complete", "status", "scope-hot", "scope-many",
      "cron",    "recovery", "memory",     "disk",           "jobs",   "parallel"};
  return names;
}

std::string string_field(std::string_view json, std::string_view key) {
  std::string pattern = "\"";
  pattern += key;
  pattern += "\":\"";
  auto at = json.find(pattern);
  if (at == std::string_view::npos) return {};
  at += pattern.size();
  auto end = json.find('"', at);
  if (end == std::string_view::npos) return {};
  return std::string(json.substr(at, end - at));
}

target open_target(const bench_options& options,
                   const std::map<std::string, std::string>& extra_env) {
  target t;
  if (!options.server_binary.empty()) {
    server_process::options so;
    so.binary = options.server_binary;
    so.prefix = options.server_prefix;
    so.environment = options.server_env;
    if (!options.storage_mode.empty()) so.environment["BATON_STORAGE__MODE"] = options.storage_mode;
    if (!options.io_threads.empty()) so.environment["BATON_HTTP__IO_THREADS"] = options.io_threads;
    for (const auto& [k, v] : extra_env) so.environment[k] = v;
    so.data_root = options.data_root;
    so.keep_data = options.keep_data;
    t.spawned = std::make_unique<server_process>(std::move(so));
    t.spawned->start();
    t.endpoint = t.spawned->endpoint();
    t.pid = t.spawned->pid();
  } else {
    auto url = options.url;
    if (auto scheme = url.find("://"); scheme != std::string::npos) url = url.substr(scheme + 3);
    if (auto slash = url.find('/'); slash != std::string::npos) url.resize(slash);
    auto colon = url.rfind(':');
    if (url.empty() || colon == std::string::npos) {
      throw std::runtime_error("give --server-binary, or --url host:port of a running server");
    }
    auto host = url.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    t.endpoint = {asio::ip::make_address(host),
                  static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)))};
    t.pid = options.server_pid;
  }
  t.host = t.endpoint.address().to_string() + ":" + std::to_string(t.endpoint.port());
  if (!wait_ready(t.endpoint, std::chrono::seconds(600))) {
    throw std::runtime_error("the server at " + t.host + " never answered /readyz with 200");
  }
  deploy_definitions(options, t);
  return t;
}

void deploy_definitions(const bench_options& options, const target& t) {
  std::filesystem::path dir = options.definitions_dir;
  if (!std::filesystem::is_directory(dir)) {
    throw std::runtime_error("no definitions folder " + dir.string() +
                             " (run from the repository root or give --definitions)");
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    auto name = entry.path().stem().string();
    auto reply = fetch(t.endpoint, "PUT", "/api/v1/definitions/" + name, read_text(entry.path()),
                       options.api_key);
    if (reply.status != 200 && reply.status != 201) {
      throw std::runtime_error(
          fmt::format("deploying {}: {} {}{}", name, reply.status, reply.error, reply.body));
    }
  }
}

load_options setup_load(const bench_options& options, std::uint64_t count) {
  load_options lo;
  lo.connections = options.load.connections;
  lo.threads = options.load.threads;
  lo.count = count;
  lo.warmup = std::chrono::seconds(0);
  lo.timeout = options.load.timeout;
  lo.progress = options.load.progress;
  return lo;
}

std::vector<std::string> populate_processes(const bench_options& options, const target& t,
                                            const std::string& definition, std::uint64_t n) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  ids->reserve(n);
  auto req = std::make_shared<const std::string>(
      make_request("POST", "/api/v1/processes", t.host, start_body(definition), options.api_key));
  auto lo = setup_load(options, n);
  lo.label = "populate";
  auto result =
      run_load(t.endpoint, lo,
               [req, ids, mutex](connection& c, std::uint64_t) -> asio::awaitable<unit_outcome> {
                 auto reply = co_await c.exchange(*req);
                 auto o = outcome_of(reply, 201);
                 if (o.ok) {
                   auto id = string_field(reply.body, "id");
                   std::lock_guard lock{*mutex};
                   ids->push_back(std::move(id));
                 }
                 co_return o;
               });
  if (result.errors > 0) {
    std::string why;
    for (const auto& [k, v] : result.outcomes) why += fmt::format(" {}: {}", k, v);
    fmt::print(stderr, "populate: {} of {} starts failed:{}\n", result.errors, n, why);
  }
  return std::move(*ids);
}

run_report run_scenario(const bench_options& options) {
  const auto& s = options.scenario;
  if (s == "cron") return run_cron(options);
  if (s == "recovery") return run_recovery(options);
  if (s == "memory") return run_memory(options);
  if (s == "disk") return run_disk(options);
  if (s == "jobs") return run_jobs(options);
  for (const auto& known : scenario_names()) {
    if (known == s) return run_throughput(options);
  }
  throw std::runtime_error("unknown scenario " + s);
}

}  // namespace baton::bench
