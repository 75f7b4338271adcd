#include "bench/server_metrics.hpp"

#include <charconv>
#include <vector>

namespace baton::bench {

double metrics_sample::operator[](std::string_view series) const {
  auto it = values.find(series);
  return it == values.end() ? 0.0 : it->second;
}

metrics_sample parse_metrics(std::string_view text) {
  metrics_sample out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space; label values may hold spaces only inside quotes,
    // which the server's series here never do.
    auto space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    auto number = line.substr(space + 1);
    double v = 0;
    auto res = std::from_chars(number.data(), number.data() + number.size(), v);
    if (res.ec != std::errc{}) continue;
    out.values[std::string(line.substr(0, space))] = v;
  }
  out.ok = true;
  return out;
}

metrics_sample scrape_metrics(const tcp::endpoint& server, std::string_view api_key) {
  auto reply = fetch(server, "GET", "/metrics", {}, api_key);
  if (reply.status != 200) return {};
  return parse_metrics(reply.body);
}

store_delta store_between(const metrics_sample& before, const metrics_sample& after) {
  store_delta d;
  d.commits = after["baton_store_commits_total"] - before["baton_store_commits_total"];
  d.writes = after["baton_store_writes_total"] - before["baton_store_writes_total"];
  static const std::vector<std::string> bounds = {"1", "4", "16", "64", "256", "+Inf"};
  double below = 0;
  for (const auto& le : bounds) {
    auto series = "baton_store_batch_size_bucket{le=\"" + le + "\"}";
    double cumulative = after[series] - before[series];
    d.buckets[le] = cumulative - below;
    below = cumulative;
  }
  return d;
}

}  // namespace baton::bench
