#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bench/client.hpp"

namespace baton::bench {

/// One scrape of /metrics: every sample by its series name with labels, as printed
/// (`baton_store_batch_size_bucket{le="16"}`).
struct metrics_sample {
  std::map<std::string, double, std::less<>> values;
  bool ok = false;

  /// The value of a series, 0 when absent.
  double operator[](std::string_view series) const;
};

/// Parses the Prometheus text format; comments and malformed lines are skipped.
metrics_sample parse_metrics(std::string_view text);

/// GET /metrics with `api_key` (the server needs credentials unless `http.metrics_public`);
/// `ok` is false when the server did not answer 200.
metrics_sample scrape_metrics(const tcp::endpoint& server, std::string_view api_key);

/// What the group committer did between two scrapes.
struct store_delta {
  double commits = 0;  ///< WAL syncs (RocksDB writes)
  double writes = 0;   ///< batches submitted by actors
  double mean_batch() const { return commits > 0 ? writes / commits : 0; }
  /// Commits per batch-size bucket, by upper bound ("1", "4", ..., "+Inf"), not cumulative.
  std::map<std::string, double> buckets;
};
store_delta store_between(const metrics_sample& before, const metrics_sample& after);

}  // namespace baton::bench
