#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outgoing/etcd_types.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace baton::outgoing::etcd::detail {

/// A 200 reply's body.
struct reply {
  std::string body;
};

/// How a request may be tried again on another endpoint.
enum class retry : std::uint8_t {
  safe,            ///< reads, and writes fenced by a compare: any failure moves on
  before_sending,  ///< other writes: only while the request surely reached no member
};

/// A stream in progress (watch, observe, campaign); `cancel` closes its connection.
class exchange_handle {
 public:
  virtual ~exchange_handle() = default;
  /// Ends the exchange without calling its callbacks again; any thread.
  virtual void cancel() = 0;
  /// The member it is talking to (an index into the endpoints); io thread only.
  virtual std::size_t endpoint() const = 0;
};

/// POSTs JSON to etcd's gateway over kept-alive HTTP/1.1 connections, on one io thread of
/// its own. A request starts on the endpoint that answered last and moves to the next one
/// when a member does not answer (as far as its `retry` allows), within one deadline.
class transport {
 public:
  transport(std::vector<std::string> endpoints, std::chrono::milliseconds request_timeout,
            int pool_size);
  /// Ends every exchange with `unavailable` ("client closed") and joins the io thread.
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  boost::asio::io_context& io();

  /// One request, one JSON reply. A `timeout` of zero bounds only the connection (for
  /// campaigns, which answer when elected). `done` runs once on the io thread.
  std::shared_ptr<exchange_handle> request(std::string path, std::string body, retry how,
                                           std::chrono::milliseconds timeout,
                                           std::function<void(result<reply>)> done);
  std::shared_ptr<exchange_handle> request(std::string path, std::string body, retry how,
                                           std::function<void(result<reply>)> done);

  /// A streaming request: each JSON object of the chunked body goes to `on_object` as it
  /// arrives; `on_end` runs once when the stream ends (error or the server closing it),
  /// not after `cancel`.
  std::shared_ptr<exchange_handle> stream(std::string path, std::string body,
                                          std::function<void(std::string_view)> on_object,
                                          std::function<void(etcd::error)> on_end);

  /// A read on member `endpoint` alone, never another, within the request timeout: whether
  /// that member still answers (a stream on it may just be quiet, or the member may hang).
  void probe(std::size_t endpoint, std::string path, std::string body,
             std::function<void(result<reply>)> done);

  /// Runs `f` on the io thread, or not at all once the transport is closing.
  void post(std::function<void()> f);

  std::chrono::milliseconds request_timeout() const { return timeout_; }

  struct core;

 private:
  std::shared_ptr<core> core_;
  std::chrono::milliseconds timeout_;
};

}  // namespace baton::outgoing::etcd::detail
