#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

/// The well-behaved client that runs beside a hostile one in the hostile-client tests: it
/// sends small reads on one keep-alive connection (opened before the attack, so a full
/// connection table does not turn it away), one after the other, and records each one's
/// latency and whether it got a 200.
namespace baton::test {
class raw_connection;
}

namespace baton::test::e2e {

class normal_client {
 public:
  /// Opens its connection here, then sends from a thread of its own at once; at most
  /// `max_requests` requests, so a test's load stays bounded.
  explicit normal_client(std::uint16_t port, std::string target = "/healthz",
                         std::size_t max_requests = 20'000);
  /// Stops and joins (by `stop`, if the test did not).
  ~normal_client();
  normal_client(const normal_client&) = delete;
  normal_client& operator=(const normal_client&) = delete;

  void stop();

  std::size_t answered() const { return answered_.load(); }
  std::size_t failed() const { return failed_.load(); }
  /// The `q` quantile (0..1) of the latencies in milliseconds; call after `stop`.
  double quantile_ms(double q) const;
  /// One line for the test log: count, failures, p50 and p99.
  std::string summary(const std::string& beside) const;

 private:
  void run(std::string target, std::size_t max_requests);

  std::uint16_t port_;
  std::unique_ptr<raw_connection> connection_;

  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  std::atomic<std::size_t> failed_{0};
  std::vector<double> latencies_ms_;  ///< written by the thread only, read after stop
  std::thread thread_;
};

}  // namespace baton::test::e2e
