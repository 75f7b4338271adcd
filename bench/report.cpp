#include "bench/report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace baton::bench {

namespace json = boost::json;

namespace {

double ms(std::uint64_t ns) { return ns / 1e6; }

/// "21,345": thousands separated, for tables people read.
std::string grouped(double v) {
  auto digits = fmt::format("{:.0f}", v);
  std::string out;
  auto start = digits[0] == '-' ? 1u : 0u;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > start && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string figure_text(double v) {
  if (v < 0) return "not reached";  // the scenarios' marker for a time that never came
  if (v == static_cast<double>(static_cast<long long>(v)) && std::abs(v) < 1e15) {
    return grouped(v);
  }
  return std::abs(v) >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v);
}

double cpu_cores(const run_report& r) {
  return r.cpu_window_s > 0 ? r.cpu_s() / r.cpu_window_s : 0;
}

}  // namespace

void print_report(const run_report& r) {
  fmt::print("scenario   {}{}\n", r.scenario, r.label.empty() ? "" : "  [" + r.label + "]");
  if (!r.mode.empty()) fmt::print("mode       {}\n", r.mode);
  if (r.load) {
    const auto& l = *r.load;
    fmt::print("throughput {} /s  ({} ok in {:.2f} s{})\n", grouped(l.throughput()),
               grouped(static_cast<double>(l.done)), l.window_s,
               l.not_sent ? fmt::format(", {} due but never sent", l.not_sent) : "");
    const auto& h = l.latency;
    if (l.not_sent) {
      fmt::print(
          "overload   {} units due in the window were never sent: latencies count them "
          "as late as they were at the end, a lower bound\n",
          l.not_sent);
    }
    fmt::print("latency    p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {}\n",
               format_ns(h.quantile(0.5)), format_ns(h.quantile(0.9)), format_ns(h.quantile(0.99)),
               format_ns(h.quantile(0.999)), format_ns(h.max()),
               format_ns(static_cast<std::uint64_t>(h.mean())));
    std::string outcomes;
    for (const auto& [k, n] : l.outcomes)
      outcomes += fmt::format("{}{}: {}", outcomes.empty() ? "" : ", ", k, n);
    fmt::print("outcomes   {}{}\n", outcomes.empty() ? "none" : outcomes,
               l.connects > r.load->latency.count() / 1000 + 64
                   ? fmt::format("  ({} connects: keep-alive broke)", l.connects)
                   : "");
  }
  if (r.have_server) {
    auto per_unit = r.load && r.load->done
                        ? fmt::format(", {:.1f} us CPU per unit", r.cpu_s() * 1e6 / r.load->done)
                        : "";
    fmt::print(
        "server     CPU {:.2f} cores over {:.1f} s{}; RSS {:.0f} MB (peak {:.0f} MB), {} threads\n",
        cpu_cores(r), r.cpu_window_s, per_unit, r.server_after.rss_kb / 1024.0,
        r.server_after.hwm_kb / 1024.0, r.server_after.threads);
  }
  if (r.store && r.store->commits > 0) {
    const auto& s = *r.store;
    std::string buckets;
    for (const char* le : {"1", "4", "16", "64", "256", "+Inf"}) {
      auto it = s.buckets.find(le);
      auto v = it == s.buckets.end() ? 0.0 : it->second;
      buckets += fmt::format(" <={}:{:.0f}%", le, 100.0 * v / s.commits);
    }
    fmt::print("store      {} commits ({}/s), {:.1f} writes per commit; commits by batch size{}\n",
               grouped(s.commits), grouped(r.cpu_window_s > 0 ? s.commits / r.cpu_window_s : 0),
               s.mean_batch(), buckets);
  }
  for (const auto& [name, v] : r.figures) fmt::print("  {:<28} {}\n", name, figure_text(v));
  for (const auto& n : r.notes) fmt::print("note       {}\n", n);
}

void write_json(const run_report& r, const std::string& path) {
  json::object o;
  o["scenario"] = r.scenario;
  o["label"] = r.label;
  o["mode"] = r.mode;
  json::object settings;
  for (const auto& [k, v] : r.settings) settings[k] = v;
  o["settings"] = std::move(settings);
  if (r.load) {
    const auto& l = *r.load;
    o["throughput"] = l.throughput();
    o["window_s"] = l.window_s;
    o["done"] = l.done;
    o["errors"] = l.errors;
    o["not_sent"] = l.not_sent;
    o["connects"] = l.connects;
    json::object outcomes;
    for (const auto& [k, n] : l.outcomes) outcomes[k] = n;
    o["outcomes"] = std::move(outcomes);
    const auto& h = l.latency;
    o["latency_ms"] = {{"p50", ms(h.quantile(0.5))},  {"p90", ms(h.quantile(0.9))},
                       {"p99", ms(h.quantile(0.99))}, {"p999", ms(h.quantile(0.999))},
                       {"max", ms(h.max())},          {"mean", h.mean() / 1e6}};
    json::array timeline;
    for (const auto& s : l.timeline) {
      timeline.push_back({{"t", s.t},
                          {"rate", s.rate},
                          {"done", s.done},
                          {"errors", s.errors},
                          {"p50_ms", ms(s.p50_ns)},
                          {"p90_ms", ms(s.p90_ns)},
                          {"p99_ms", ms(s.p99_ns)},
                          {"max_ms", ms(s.max_ns)}});
    }
    o["timeline"] = std::move(timeline);
  }
  if (r.have_server) {
    json::object server{{"cpu_s", r.cpu_s()},
                        {"cpu_cores", cpu_cores(r)},
                        {"window_s", r.cpu_window_s},
                        {"rss_mb", r.server_after.rss_kb / 1024.0},
                        {"peak_rss_mb", r.server_after.hwm_kb / 1024.0},
                        {"threads", r.server_after.threads}};
    if (r.load && r.load->done) server["cpu_us_per_unit"] = r.cpu_s() * 1e6 / r.load->done;
    o["server"] = std::move(server);
  }
  if (r.store) {
    json::object buckets;
    for (const auto& [k, v] : r.store->buckets) buckets[k] = v;
    o["store"] = {{"commits", r.store->commits},
                  {"writes", r.store->writes},
                  {"mean_batch", r.store->mean_batch()},
                  {"commits_per_s", r.cpu_window_s > 0 ? r.store->commits / r.cpu_window_s : 0},
                  {"buckets", std::move(buckets)}};
  }
  json::object figures;
  for (const auto& [k, v] : r.figures) figures[k] = v;
  o["figures"] = std::move(figures);
  json::array notes;
  for (const auto& n : r.notes) notes.emplace_back(n);
  o["notes"] = std::move(notes);
  std::ofstream out(path);
  out << json::serialize(o) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool write_plot(const run_report& r, const std::string& path) {
  if (!r.load || r.load->timeline.empty()) {
    fmt::print(stderr, "plot: {} has no per-second timeline to draw\n", r.scenario);
    return false;
  }
  FILE* gp = ::popen("gnuplot 2>&1", "w");
  if (!gp) {
    fmt::print(stderr, "plot: cannot run gnuplot (apt-get install gnuplot-nox)\n");
    return false;
  }
  std::string script;
  script += "$data << EOD\n";
  for (const auto& s : r.load->timeline) {
    // Latency on a log scale: an empty second would be 0, which log axes cannot show.
    auto v = [](std::uint64_t ns) {
      return ns ? fmt::format("{:.4f}", ms(ns)) : std::string("NaN");
    };
    script += fmt::format("{:.3f} {:.1f} {} {} {} {}\n", s.t, s.rate, v(s.p50_ns), v(s.p90_ns),
                          v(s.p99_ns), v(s.max_ns));
  }
  script += "EOD\n";
  script += fmt::format("set terminal pngcairo size 1100,800 noenhanced\nset output '{}'\n", path);
  script += "set multiplot layout 2,1 title '" + r.scenario +
            (r.label.empty() ? "" : " [" + r.label + "]") + " - " + r.mode + "'\n";
  script += "set grid\nset xlabel 'seconds'\nset ylabel 'units/s'\nset yrange [0:*]\n";
  script += "plot $data using 1:2 with linespoints title 'throughput'\n";
  script += "set ylabel 'latency, ms'\nset logscale y\nset yrange [*:*]\n";
  script +=
      "plot $data using 1:3 with lines title 'p50', '' using 1:4 with lines title 'p90', "
      "'' using 1:5 with lines title 'p99', '' using 1:6 with lines title 'max'\n";
  script += "unset multiplot\n";
  std::fwrite(script.data(), 1, script.size(), gp);
  auto status = ::pclose(gp);
  if (status != 0) {
    fmt::print(stderr, "plot: gnuplot failed (status {})\n", status);
    return false;
  }
  return true;
}

// ---- summarize ------------------------------------------------------------------------------

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double number_at(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* at = &v;
  for (const char* key : path) {
    if (!at->is_object() || !at->as_object().contains(key)) return 0;
    at = &at->as_object().at(key);
  }
  return at->is_number() ? at->to_number<double>() : 0;
}

struct group {
  std::string scenario;
  std::string mode;
  std::vector<json::value> runs;
  std::vector<double> all(std::initializer_list<const char*> path) const {
    std::vector<double> out;
    for (const auto& r : runs) out.push_back(number_at(r, path));
    return out;
  }
  double med(std::initializer_list<const char*> path) const { return median(all(path)); }
  /// The machine's 1-minute load average as the runs began (a string in the settings).
  double load() const {
    std::vector<double> v;
    for (const auto& r : runs) {
      const auto& s = r.at("settings").as_object();
      if (!s.contains("loadavg_before")) continue;
      try {
        v.push_back(std::stod(std::string(s.at("loadavg_before").as_string())));
      } catch (const std::exception&) {
      }
    }
    return median(v);
  }
  bool has_figure(const char* name) const {
    for (const auto& r : runs) {
      if (r.at("figures").as_object().contains(name)) return true;
    }
    return false;
  }
};

std::string spread(const std::vector<double>& v) {
  if (v.size() < 2) return "";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return fmt::format(" ({}–{})", grouped(*lo), grouped(*hi));
}

}  // namespace

int summarize(const summary_options& opt) {
  std::map<std::string, group> groups;
  std::vector<std::string> order;
  for (const auto& file : opt.files) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(s.str(), ec);
    if (ec || !v.is_object()) {
      fmt::print(stderr, "summarize: {} is not a baton-bench JSON file\n", file);
      continue;
    }
    auto scenario = std::string(v.at("scenario").as_string());
    auto label = std::string(v.at("label").as_string());
    auto name = label.empty() ? scenario : scenario + " [" + label + "]";
    if (!groups.count(name)) order.push_back(name);
    auto& g = groups[name];
    g.scenario = scenario;
    g.mode = std::string(v.at("mode").as_string());
    g.runs.push_back(std::move(v));
  }

  // The order of scenario_names (the story: ceiling, starts, round trips, reads, state),
  // variants after their scenario.
  auto rank = [](const std::string& scenario) {
    const auto& names = scenario_names();
    return std::find(names.begin(), names.end(), scenario) - names.begin();
  };
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    auto ra = rank(groups[a].scenario), rb = rank(groups[b].scenario);
    return ra != rb ? ra < rb : a < b;
  });

  std::string md = "# " + opt.title + "\n\n";
  for (const auto& line : opt.context) md += line + "  \n";
  md +=
      "\nFigures are medians over the runs (range in brackets). Client and server share the "
      "machine's cores, so every figure includes the load generator's own CPU.\n\n";

  auto has_load = [&](const std::string& name) {
    return groups[name].runs.front().as_object().contains("throughput");
  };
  bool any_load = std::any_of(order.begin(), order.end(), has_load);
  bool any_state = !std::all_of(order.begin(), order.end(), has_load);
  if (any_load && opt.ceiling_rps > 0) {
    md += "## HTTP ceiling\n\n";
    md +=
        fmt::format("`{}`: **{} requests/s**{}\n\n", opt.ceiling_command, grouped(opt.ceiling_rps),
                    opt.ceiling_latency.empty() ? "" : ", latency " + opt.ceiling_latency);
  } else if (any_load) {
    md += "## HTTP ceiling\n\n";
    md += "wrk was not available: ratios below are to baton-bench's own `healthz` run.\n\n";
  }
  double ceiling = opt.ceiling_rps;
  if (ceiling <= 0 && groups.count("healthz")) ceiling = groups["healthz"].med({"throughput"});

  if (any_load) md += "## Throughput scenarios\n\n";
  if (any_load)
    md +=
        "| scenario | runs | throughput /s | p50 ms | p99 ms | p99.9 ms | of ceiling | server CPU "
        "µs/unit | writes per commit | errors | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& name : order) {
    const auto& g = groups[name];
    if (!g.runs.front().as_object().contains("throughput")) continue;
    auto tp = g.all({"throughput"});
    md += fmt::format(
        "| {} | {} | {}{} | {:.2f} | {:.2f} | {:.2f} | {} | {:.1f} | {:.1f} | {} | {:.1f} |\n",
        name, g.runs.size(), grouped(median(tp)), spread(tp), g.med({"latency_ms", "p50"}),
        g.med({"latency_ms", "p99"}), g.med({"latency_ms", "p999"}),
        ceiling > 0 ? fmt::format("{:.0f}%", 100 * median(tp) / ceiling) : "-",
        g.med({"server", "cpu_us_per_unit"}), g.med({"store", "mean_batch"}),
        grouped(g.med({"errors"})), g.load());
  }
  // Modes, once for all the scenarios that share one.
  std::map<std::string, std::vector<std::string>> by_mode;
  std::vector<std::string> modes;
  for (const auto& name : order) {
    const auto& g = groups[name];
    if (!g.runs.front().as_object().contains("throughput")) continue;
    if (!by_mode.count(g.mode)) modes.push_back(g.mode);
    by_mode[g.mode].push_back(name);
  }
  for (const auto& mode : modes) {
    const auto& names = by_mode[mode];
    md += fmt::format("\n{}: {}.", names.size() == 1 ? fmt::format("`{}`", names.front()) : "All",
                      mode);
  }
  if (any_load) md += "\n\n";

  if (any_state) md += "## State scenarios\n\n";
  for (const auto& name : order) {
    const auto& g = groups[name];
    if (g.runs.front().as_object().contains("throughput")) continue;
    md += fmt::format("**{}** — {} ({} run{})\n\n| figure | median |\n|---|---|\n", name, g.mode,
                      g.runs.size(), g.runs.size() == 1 ? "" : "s");
    for (const auto& [k, v] : g.runs.front().at("figures").as_object()) {
      std::string key(k);
      md += fmt::format("| {} | {} |\n", key, figure_text(g.med({"figures", key.c_str()})));
    }
    md += "\n";
  }

  md += "## Budgets (DESIGN.md)\n\n| what | target | measured | met |\n|---|---|---|---|\n";
  auto row = [&](std::string what, std::string target, std::string measured,
                 std::optional<bool> met, std::string qualifier = {}) {
    std::string verdict = !met ? "not measured" : *met ? "yes" : "**no**";
    if (met && !qualifier.empty()) verdict += " " + qualifier;
    md += fmt::format("| {} | {} | {} | {} |\n", what, target, measured, verdict);
  };
  // A budget stated for a size the run did not reach is judged at the size it did, and says so.
  auto at_size = [](double n, double budget_n) {
    return n >= budget_n ? std::string()
                         : fmt::format("(at {}, not {})", grouped(n), grouped(budget_n));
  };
  auto find = [&](const char* scenario) -> const group* {
    auto it = groups.find(scenario);
    return it == groups.end() ? nullptr : &it->second;
  };
  if (auto* g = find("start")) {
    auto tp = g->med({"throughput"});
    auto p99 = g->med({"latency_ms", "p99"});
    row("durable starts (sync WAL), 64 connections", "≥ 20,000/s, p99 ≤ 10 ms",
        fmt::format("{}/s, p99 {:.1f} ms", grouped(tp), p99), tp >= 20'000 && p99 <= 10);
  }
  if (auto* g = find("start-complete")) {
    auto tp = g->med({"throughput"});
    row("start + complete one external step", "≥ 8,000 processes/s", grouped(tp) + "/s",
        tp >= 8'000);
  }
  if (auto* g = find("jobs")) {
    auto tp = g->med({"figures", "processes_per_s"});
    auto p99 = g->med({"figures", "start_to_activation_p99_ms"});
    row("external worker jobs completed end to end", "≥ 10,000/s",
        fmt::format("{}/s, start → activation p99 {:.1f} ms", grouped(tp), p99), tp >= 10'000);
  }
  if (auto* g = find("status")) {
    auto tp = g->med({"throughput"});
    row("status GET", "≥ 60,000/s", grouped(tp) + "/s", tp >= 60'000);
  }
  if (auto* g = find("memory")) {
    auto b = g->med({"figures", "bytes_per_process_passivated"});
    auto n = g->med({"figures", "populated"});
    row("memory per passivated waiting process (1M)", "≤ 1.5 KB RSS",
        fmt::format("{:.0f} B at {}", b, grouped(n)), b <= 1536, at_size(n, 1e6));
  }
  if (auto* g = find("recovery")) {
    auto ready = g->med({"figures", "ready_s"});
    auto n = g->med({"figures", "populated"});
    bool full = n >= 1e6;
    row("ready after restart with 1M stored processes", "≤ 5 s",
        fmt::format("{:.2f} s at {} waiting{}", ready, grouped(n),
                    full ? "" : fmt::format(", {:.0f} s scaled to 1M", ready * 1e6 / n)),
        full ? ready <= 5 : ready * 1e6 / n <= 5, full ? "" : "(scaled linearly to 1M)");
  }
  if (auto* g = find("cron")) {
    auto fired = g->med({"figures", "all_fired_s"});
    auto n = g->med({"figures", "schedules_created"});
    auto started = g->med({"figures", "all_started_s"});
    row("100k schedules due in one second", "all fired within 1 s",
        fmt::format("fired in {:.2f} s at {}; their processes started in {}", fired, grouped(n),
                    started >= 0 ? fmt::format("{:.1f} s", started) : "more than 58 s"),
        fired >= 0 && fired <= 1, at_size(n, 1e5));
  }
  row("clean build / full test suite", "≤ 8 min / ≤ 5 min", "not measured by baton-bench",
      std::nullopt);

  if (opt.out.empty() || opt.out == "-") {
    fmt::print("{}", md);
  } else {
    std::ofstream out(opt.out);
    out << md;
    if (!out) {
      fmt::print(stderr, "summarize: cannot write {}\n", opt.out);
      return 1;
    }
  }
  return 0;
}

}  // namespace baton::bench
