#include "outgoing/client.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "http/metrics.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "tests/support/test_client.hpp"

using namespace baton;
using namespace baton::http;
using baton::outgoing::header_problem;
using baton::outgoing::max_header_value;
using baton::test::scoped_server;
using verb = beast_http::verb;
using namespace std::chrono_literals;

namespace {

/// Calls and waits (bounded) for the one callback; counts callbacks to prove "once".
struct call_result {
  outgoing::outgoing_response res;
  bool arrived = false;
};

call_result call_and_wait(outgoing::client& client, outgoing::outgoing_request req,
                          std::atomic<int>* calls = nullptr) {
  auto promise = std::make_shared<std::promise<outgoing::outgoing_response>>();
  auto future = promise->get_future();
  client.call(std::move(req), [promise, calls](outgoing::outgoing_response res) {
    if (calls) ++*calls;
    promise->set_value(std::move(res));
  });
  call_result out;
  if (future.wait_for(10s) == std::future_status::ready) {
    out.res = future.get();
    out.arrived = true;
  }
  return out;
}

std::shared_ptr<router> upstream_routes(std::vector<responder>* held, std::mutex* held_mutex) {
  auto routes = std::make_shared<router>();
  routes->add(verb::post, "/hook", [](request_context ctx, responder respond) {
    std::string body = "method=" + std::string{ctx.req.method_string()} +
                       " key=" + std::string{ctx.header("idempotency-key")} +
                       " host=" + std::string{ctx.header("host")} +
                       " q=" + std::string{ctx.query_value("a").value_or("")} +
                       " body=" + ctx.req.body();
    respond(json_response(beast_http::status::accepted, body));
  });
  routes->add(verb::get, "/status/{code}", [](request_context ctx, responder respond) {
    auto code = static_cast<beast_http::status>(std::stoi(std::string{ctx.param("code")}));
    respond(text_response(code, "code"));
  });
  routes->add(verb::get, "/slow", [held, held_mutex](request_context, responder respond) {
    std::lock_guard lock{*held_mutex};
    held->push_back(std::move(respond));
  });
  return routes;
}

/// A port with nothing listening: bound once, then released.
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM files.
struct self_signed {
  std::filesystem::path dir;
  std::string cert;
  std::string key;

  self_signed() {
    dir = std::filesystem::temp_directory_path() /
          ("baton-tls-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();

    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      REQUIRE(ext);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }

  ~self_signed() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

/// Answers the first request on its first connection and keeps it open, then closes that
/// connection on the second request without answering, as a server whose keep-alive
/// timer fired at that moment would; answers the request repeated on a second connection.
class flaky_upstream {
 public:
  flaky_upstream() {
    port_ = acceptor_.local_endpoint().port();
    next_request([this] {
      answer([this] {
        next_request([this] {
          socket_.close();
          next_request([this] { answer([this] { socket_.close(); }); });
        });
      });
    });
    thread_ = std::thread([this] { ioc_.run_for(10s); });
  }

  ~flaky_upstream() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  using tcp = boost::asio::ip::tcp;

  /// Reads the next request, accepting a connection first when none is open.
  void next_request(std::function<void()> then) {
    if (!socket_.is_open()) {
      buffer_.clear();
      acceptor_.async_accept(socket_, [this, then](boost::system::error_code ec) {
        if (!ec) next_request(then);
      });
      return;
    }
    req_ = {};
    boost::beast::http::async_read(socket_, buffer_, req_,
                                   [this, then](boost::system::error_code ec, std::size_t) {
                                     if (ec) return;
                                     ++requests_;
                                     then();
                                   });
  }

  void answer(std::function<void()> then) {
    res_ = {boost::beast::http::status::ok, 11};
    res_.body() = "flaky " + std::to_string(requests_.load());
    res_.prepare_payload();
    boost::beast::http::async_write(socket_, res_,
                                    [then](boost::system::error_code ec, std::size_t) {
                                      if (!ec) then();
                                    });
  }

  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  tcp::socket socket_{ioc_};
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  std::atomic<int> requests_{0};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

std::string connections_total(scoped_server& srv) {
  auto text = srv.get().stats()->render();
  constexpr std::string_view sample = "\nbaton_http_connections_total ";
  auto at = text.find(sample);
  REQUIRE(at != std::string::npos);
  auto start = at + sample.size();
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

TEST_CASE("outgoing::client calls an allowed local server", "[http][outgoing]") {
  std::vector<responder> held;
  std::mutex held_mutex;
  scoped_server upstream{upstream_routes(&held, &held_mutex)};
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1:" + std::to_string(upstream.port())};
  outgoing::client client{settings};
  auto base = "http://127.0.0.1:" + std::to_string(upstream.port());

  std::atomic<int> calls{0};
  outgoing::outgoing_request req;
  req.url = base + "/hook?a=1%202";
  req.body = R"({"x":1})";
  req.headers = {{"Idempotency-Key", "p1-s1-0"}, {"Content-Type", "application/json"}};
  auto r = call_and_wait(client, req, &calls);
  REQUIRE(r.arrived);
  CHECK(r.res.error.empty());
  CHECK(r.res.status == 202);
  CHECK(r.res.body == "method=POST key=p1-s1-0 host=127.0.0.1:" + std::to_string(upstream.port()) +
                          " q=1 2 body={\"x\":1}");

  req = {};
  req.method = "GET";
  req.url = base + "/status/503";
  auto failing = call_and_wait(client, req, &calls);
  REQUIRE(failing.arrived);
  CHECK(failing.res.status == 503);
  CHECK(failing.res.error.empty());
  std::this_thread::sleep_for(50ms);
  CHECK(calls == 2);
}

TEST_CASE("outgoing::client takes a call's own answer size limit over its own",
          "[http][outgoing]") {
  std::vector<responder> held;
  std::mutex held_mutex;
  scoped_server upstream{upstream_routes(&held, &held_mutex)};
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  outgoing::client_options small;
  small.response_limit = 16;
  outgoing::client client{settings, small};
  auto base = "http://127.0.0.1:" + std::to_string(upstream.port());

  outgoing::outgoing_request status;  // answers the 4 bytes "code"
  status.method = "GET";
  status.url = base + "/status/200";
  auto fits = call_and_wait(client, status);
  REQUIRE(fits.arrived);
  CHECK(fits.res.status == 200);
  status.response_limit = 2;  // a call's limit may be smaller than the client's
  auto cut = call_and_wait(client, status);
  REQUIRE(cut.arrived);
  CHECK(cut.res.error == "response too large");

  outgoing::outgoing_request echo;  // answers its body and more
  echo.url = base + "/hook";
  echo.body = std::string(64, 'x');
  auto refused = call_and_wait(client, echo);
  REQUIRE(refused.arrived);
  CHECK(refused.res.error == "response too large");
  echo.response_limit = 1024;  // or larger
  auto allowed = call_and_wait(client, echo);
  REQUIRE(allowed.arrived);
  CHECK(allowed.res.error.empty());
  CHECK(allowed.res.status == 202);
}

TEST_CASE("outgoing::client reuses connections and replaces closed ones", "[http][outgoing]") {
  std::vector<responder> held;
  std::mutex held_mutex;
  config::http_settings upstream_settings;
  upstream_settings.idle_timeout = 300ms;
  scoped_server upstream{upstream_routes(&held, &held_mutex), upstream_settings};
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  outgoing::client client{settings};
  outgoing::outgoing_request req;
  req.url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/hook";
  for (int i = 0; i < 3; ++i) {
    auto r = call_and_wait(client, req);
    REQUIRE(r.arrived);
    CHECK(r.res.status == 202);
  }
  CHECK(connections_total(upstream) == "1");

  // The server closes the idle connection; the next call notices and connects afresh.
  std::this_thread::sleep_for(700ms);
  auto after_idle = call_and_wait(client, req);
  REQUIRE(after_idle.arrived);
  CHECK(after_idle.res.status == 202);
  CHECK(connections_total(upstream) == "2");
}

TEST_CASE("outgoing::client repeats a request whose reused connection died", "[http][outgoing]") {
  flaky_upstream upstream;
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  outgoing::client client{settings};
  outgoing::outgoing_request req;
  req.method = "GET";
  req.url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/x";
  auto first = call_and_wait(client, req);
  REQUIRE(first.arrived);
  CHECK(first.res.body == "flaky 1");
  auto second = call_and_wait(client, req);
  REQUIRE(second.arrived);
  CHECK(second.res.error.empty());
  CHECK(second.res.body == "flaky 3");
  CHECK(upstream.requests() == 3);
}

TEST_CASE("outgoing::client times out", "[http][outgoing]") {
  std::vector<responder> held;
  std::mutex held_mutex;
  scoped_server upstream{upstream_routes(&held, &held_mutex)};
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  {
    outgoing::client client{settings};
    outgoing::outgoing_request req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/slow";
    req.timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    auto r = call_and_wait(client, req);
    REQUIRE(r.arrived);
    CHECK(r.res.status == 0);
    CHECK(r.res.error == "timeout after 200 ms");
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  std::lock_guard lock{held_mutex};
  for (auto& respond : held) respond(text_response(beast_http::status::ok, "late"));
  // Gone while the server lives: a held answer keeps the server's io_context alive, and a
  // context outliving the server's acceptor read it after it was freed (ASan, at teardown).
  held.clear();
}

TEST_CASE("outgoing::client refuses headers that would write headers or requests of their own",
          "[http][outgoing]") {
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  outgoing::client client{settings};
  outgoing::outgoing_request req;
  req.url = "http://127.0.0.1:9/x";  // never reached: refused before any connection
  for (auto [name, value] :
       {std::pair<std::string, std::string>{"x-api-key", "k\r\nContent-Length: 0\r\n\r\nDELETE /"},
        {"x-api-key", std::string("nul\0inside", 10)},
        {"bad name", "v"},
        {"x\r\ny", "v"},
        {"", "v"},
        {"x-big", std::string(max_header_value + 1, 'a')}}) {
    req.headers = {{name, value}};
    auto r = call_and_wait(client, req);
    REQUIRE(r.arrived);
    CHECK(r.res.error.rfind("invalid header", 0) == 0);
  }
  CHECK(header_problem("X-Api-Key", std::string(max_header_value, 'a')).empty());
}

TEST_CASE("outgoing::client refuses hosts outside the allow-list", "[http][outgoing]") {
  config::outgoing_settings settings;
  settings.allow_hosts = {"hooks.example.com", "127.0.0.1:8443", "[::1]:9000"};
  outgoing::client client{settings};

  outgoing::outgoing_request req;
  req.url = "http://evil.example.com/x";
  auto r = call_and_wait(client, req);
  REQUIRE(r.arrived);
  CHECK(r.res.error == "host not allowed: evil.example.com");
  CHECK(r.res.status == 0);

  req.url = "http://127.0.0.1:8080/x";
  CHECK(call_and_wait(client, req).res.error == "host not allowed: 127.0.0.1:8080");

  req.url = "not a url";
  CHECK(call_and_wait(client, req).res.error.rfind("invalid url", 0) == 0);
  req.url = "ftp://hooks.example.com/x";
  CHECK(call_and_wait(client, req).res.error == "unsupported scheme: ftp");

  outgoing::client nobody{config::outgoing_settings{}};
  req.url = "http://127.0.0.1/";
  CHECK(call_and_wait(nobody, req).res.error == "host not allowed: 127.0.0.1");
}

TEST_CASE("outgoing::client reports a refused connection", "[http][outgoing]") {
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  outgoing::client client{settings};
  outgoing::outgoing_request req;
  req.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto r = call_and_wait(client, req);
  REQUIRE(r.arrived);
  CHECK(r.res.status == 0);
  CHECK(r.res.error.rfind("connect 127.0.0.1:", 0) == 0);
}

TEST_CASE("outgoing::client ends calls in flight when destroyed", "[http][outgoing]") {
  std::vector<responder> held;
  std::mutex held_mutex;
  scoped_server upstream{upstream_routes(&held, &held_mutex)};
  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1"};
  std::atomic<int> calls{0};
  std::string error;
  {
    outgoing::client client{settings};
    outgoing::outgoing_request req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/slow";
    client.call(req, [&](outgoing::outgoing_response res) {
      error = res.error;
      ++calls;
    });
    for (int i = 0; i < 100; ++i) {
      std::lock_guard lock{held_mutex};
      if (!held.empty()) break;
      std::this_thread::sleep_for(20ms);
    }
  }
  CHECK(calls == 1);
  CHECK(error == "client stopped");
  std::lock_guard lock{held_mutex};
  for (auto& respond : held) respond(text_response(beast_http::status::ok, "late"));
  // Gone while the server lives: a held answer keeps the server's io_context alive, and a
  // context outliving the server's acceptor read it after it was freed (ASan, at teardown).
  held.clear();
}

TEST_CASE("TLS server and https outgoing calls", "[http][outgoing][tls]") {
  self_signed tls;
  auto routes = std::make_shared<router>();
  routes->add(verb::get, "/secure", [](request_context, responder respond) {
    respond(text_response(beast_http::status::ok, "secret"));
  });
  config::http_settings server_settings;
  server_settings.tls_cert = tls.cert;
  server_settings.tls_key = tls.key;
  scoped_server srv{routes, server_settings};

  auto direct = baton::test::https_call(srv.port(), "GET", "/secure");
  CHECK(direct.status == 200);
  CHECK(direct.body == "secret");
  CHECK(direct.header("server") == "baton");
  // Plain HTTP on a TLS port gets nowhere.
  CHECK_THROWS(baton::test::http_call(srv.port(), "GET", "/secure"));

  config::outgoing_settings settings;
  settings.allow_hosts = {"127.0.0.1", "localhost"};
  outgoing::outgoing_request req;
  req.method = "GET";
  req.url = "https://127.0.0.1:" + std::to_string(srv.port()) + "/secure";

  // The self-signed certificate is not in the system store: verification must fail.
  outgoing::client strict{settings};
  auto refused = call_and_wait(strict, req);
  REQUIRE(refused.arrived);
  CHECK(refused.res.status == 0);
  CHECK(refused.res.error.rfind("TLS handshake: ", 0) == 0);

  outgoing::client trusting{settings, outgoing::client_options{.ca_file = tls.cert}};
  auto ok = call_and_wait(trusting, req);
  REQUIRE(ok.arrived);
  CHECK(ok.res.error.empty());
  CHECK(ok.res.status == 200);
  CHECK(ok.res.body == "secret");

  req.url = "https://localhost:" + std::to_string(srv.port()) + "/secure";
  auto by_name = call_and_wait(trusting, req);
  CHECK(by_name.res.status == 200);
}

TEST_CASE("TLS server refuses to start with unusable files", "[http][tls]") {
  config::http_settings settings;
  settings.listen = "127.0.0.1:0";
  settings.tls_cert = "/nonexistent/cert.pem";
  settings.tls_key = "/nonexistent/key.pem";
  server srv{settings, std::make_shared<router>()};
  CHECK_THROWS_AS(srv.start(), std::runtime_error);
}
