#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace baton::test {

/// One request as the stub saw it.
struct stub_request {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names lower-cased

  /// The value of header `name` (any case); empty when absent.
  std::string header(std::string_view name) const;
};

/// What the stub answers.
struct stub_reply {
  int status = 200;
  std::string body;  ///< sent as application/json
};

/// A delegate for http steps: an HTTP/1.1 server on 127.0.0.1 with an ephemeral port, run
/// on its own thread from the constructor to the destructor. Every request is recorded and
/// answered by `handler`, which gets the request and its index (0 for the first call).
class stub_server {
 public:
  using handler = std::function<stub_reply(const stub_request&, std::size_t index)>;

  explicit stub_server(handler h);
  ~stub_server();
  stub_server(const stub_server&) = delete;
  stub_server& operator=(const stub_server&) = delete;

  std::uint16_t port() const;
  /// "http://127.0.0.1:PORT" + `path`.
  std::string url(std::string_view path = "/") const;
  /// A copy of every request received so far, in arrival order.
  std::vector<stub_request> requests() const;
  std::size_t calls() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace baton::test
