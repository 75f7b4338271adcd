#include "tests/e2e/normal_client.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>

#include "tests/support/test_client.hpp"

namespace baton::test::e2e {

normal_client::normal_client(std::uint16_t port, std::string target, std::size_t max_requests)
    : port_(port), connection_(std::make_unique<raw_connection>(port, std::chrono::seconds(5))) {
  thread_ =
      std::thread([this, target = std::move(target), max_requests] { run(target, max_requests); });
}

normal_client::~normal_client() { stop(); }

void normal_client::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void normal_client::run(std::string target, std::size_t max_requests) {
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: baton\r\n\r\n";
  for (std::size_t i = 0; i < max_requests && !stop_; ++i) {
    auto sent = std::chrono::steady_clock::now();
    try {
      if (!connection_)
        connection_ = std::make_unique<raw_connection>(port_, std::chrono::seconds(5));
      connection_->send(request);
      auto r = connection_->read_response();
      std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - sent;
      latencies_ms_.push_back(took.count());
      if (r.status == 200) {
        ++answered_;
      } else {
        ++failed_;
      }
      if (r.header("connection") == "close") connection_.reset();
    } catch (const std::exception&) {
      // A refused or cut connection is a failure of the server to serve this client.
      ++failed_;
      connection_.reset();
    }
    // About a hundred requests a second: a steady user, not a load test.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  connection_.reset();
}

double normal_client::quantile_ms(double q) const {
  if (latencies_ms_.empty()) return 0;
  auto sorted = latencies_ms_;
  std::sort(sorted.begin(), sorted.end());
  auto at = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(at, sorted.size() - 1)];
}

std::string normal_client::summary(const std::string& beside) const {
  std::ostringstream out;
  out << "normal client beside " << beside << ": " << answered() << " answered, " << failed()
      << " failed, p50 " << quantile_ms(0.5) << " ms, p99 " << quantile_ms(0.99) << " ms";
  return out.str();
}

}  // namespace baton::test::e2e
