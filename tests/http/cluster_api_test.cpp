#include "http/cluster_api.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "actors/cluster_forwarder.hpp"
#include "http/blocking_work.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "tests/storage/store_helpers.hpp"
#include "tests/support/test_client.hpp"

using namespace baton;
using namespace baton::http;
using baton::test::http_call;
using baton::test::raw_connection;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view secret = "s3cret";

std::string snapshot_request(std::uint16_t port) {
  return "GET /api/v1/cluster/snapshot HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\n" + std::string(actors::cluster_forwarder::secret_header) + ": " +
         std::string(secret) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("the I/O thread serves other requests while a snapshot's checkpoint is made",
          "[http][snapshot]") {
  testing::temp_dir data;
  auto store = testing::open_store(data);
  testing::put_process(*store, "p1");

  config::http_settings settings;
  settings.listen = "127.0.0.1:0";
  settings.io_threads = 1;  // every connection on the one thread the checkpoint would block
  auto routes = std::make_shared<router>();
  http::server server(settings, routes);
  routes->add(beast_http::verb::get, "/healthz", [](request_context, responder respond) {
    respond(text_response(beast_http::status::ok, "ok"));
  });
  add_cluster_snapshot_route(*routes, server.blocking(), store->database(), data.str(),
                             std::string(secret), 1 << 30);
  server.start();
  auto port = server.port();

  // The checkpoints wait, on the blocking-work thread, until the test lets them go.
  server.blocking().hold();
  raw_connection first(port), second(port);
  first.send(snapshot_request(port));
  REQUIRE(server.blocking().wait_held(1, 10s));

  auto health = http_call(port, "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");

  // One more waits its turn; beyond the queue's bound a request is refused at once.
  second.send(snapshot_request(port));
  REQUIRE(server.blocking().wait_held(server::blocking_capacity, 10s));
  auto refused =
      http_call(port, "GET", "/api/v1/cluster/snapshot", {},
                {{std::string(actors::cluster_forwarder::secret_header), std::string(secret)}});
  CHECK(refused.status == 503);
  CHECK_FALSE(refused.header("retry-after").empty());

  server.blocking().release();
  for (auto* c : {&first, &second}) {
    auto copied = c->read_response();
    CHECK(copied.status == 200);
    CHECK(copied.body.starts_with("baton-snapshot 1\n"));
  }
  server.stop();
}
