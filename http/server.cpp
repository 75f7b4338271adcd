#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "http/blocking_work.hpp"
#include "http/plain_session.hpp"
#include "http/problem.hpp"
#include "http/response_header.hpp"
#include "http/server_state.hpp"
#include "http/tls_session.hpp"

namespace baton::http {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

constexpr auto stop_grace = std::chrono::seconds(5);

/// What a connection beyond `http.max_connections` gets before it is closed, built once:
/// short enough to fit any socket's send buffer, so writing it never blocks the acceptor.
const std::string& refusal() {
  static const std::string text = [] {
    auto res = problem(beast::http::status::service_unavailable, "Service Unavailable",
                       "the server holds as many connections as it takes; try again");
    res.set(beast::http::field::retry_after, "1");
    res.keep_alive(false);
    std::string out;
    append_response_header(out, res, "refused", res.body().size());
    return out + res.body();
  }();
  return text;
}

/// Accepts connections and starts a session for each.
class listener : public std::enable_shared_from_this<listener> {
 public:
  /// @throws boost::system::system_error when the endpoint cannot be bound.
  /// @param contexts where connections go, in turn; the first also runs the acceptor.
  listener(std::vector<net::io_context*> contexts, const tcp::endpoint& endpoint,
           std::shared_ptr<server_state> state)
      : contexts_(std::move(contexts)),
        acceptor_(net::make_strand(*contexts_.front())),
        retry_timer_(acceptor_.get_executor()),
        state_(std::move(state)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  }

  std::uint16_t port() const { return port_; }

  void run() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
  }

 private:
  void do_accept() {
    // Connections go to the I/O threads in turn. Each context runs on exactly one
    // thread, so its plain executor already serialises a connection's handlers; a strand
    // would only add a lock per handler (measured: 5-10% of the CPU per request).
    target_ = next_++ % contexts_.size();
    acceptor_.async_accept(contexts_[target_]->get_executor(),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors, or a connection that died in the backlog: pause instead of
      // spinning on the error, then accept again.
      retry_timer_.expires_after(std::chrono::milliseconds(50));
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e && self->acceptor_.is_open()) self->do_accept();
      });
      return;
    }
    beast::error_code ignored;
    if (state_->open_connections.load(std::memory_order_relaxed) >=
        state_->settings.max_connections) {
      refuse(std::move(socket));
      return do_accept();
    }
    socket.set_option(tcp::no_delay(true), ignored);
    auto remote = socket.remote_endpoint(ignored).address().to_string(ignored);
    if (state_->tls)
      start_tls_session(std::move(socket), state_, std::move(remote), target_);
    else
      start_plain_session(std::move(socket), state_, std::move(remote), target_);
    do_accept();
  }

  /// Answers 503 and closes at once: holding the connection until the client gives up is
  /// what would exhaust the descriptors.
  void refuse(tcp::socket socket) {
    state_->stats->connection_refused();
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(refusal()), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    auto now = std::chrono::steady_clock::now();
    ++refused_since_log_;
    if (now - last_refusal_log_ >= std::chrono::seconds(10)) {
      spdlog::warn("refused {} connection(s): http.max_connections = {} are open",
                   refused_since_log_, state_->settings.max_connections);
      refused_since_log_ = 0;
      last_refusal_log_ = now;
    }
  }

  std::vector<net::io_context*> contexts_;
  std::uint64_t refused_since_log_ = 0;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::size_t next_ = 0;
  std::size_t target_ = 0;  ///< context of the accept in progress
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<server_state> state_;
  std::uint16_t port_ = 0;
};

tcp::endpoint resolve_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("http.listen must be host:port, got '" + listen + "'");
  auto host = listen.substr(0, colon);
  auto port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    throw std::invalid_argument("http.listen has a bad port: '" + listen + "'");
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (!ec) return {address, static_cast<std::uint16_t>(port)};
  net::io_context resolver_context;
  tcp::resolver resolver{resolver_context};
  auto results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty())
    throw std::invalid_argument("http.listen host cannot be resolved: '" + listen + "'");
  return results.begin()->endpoint();
}

}  // namespace

struct server::impl {
  // Declared first so they are destroyed last: everything below refers to them.
  std::vector<std::shared_ptr<net::io_context>> contexts;
  blocking_work blocking{blocking_capacity};
  config::http_settings settings;
  std::shared_ptr<server_state> state;
  std::shared_ptr<listener> acceptor;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

server::server(const config::http_settings& settings, std::shared_ptr<router> routes,
               std::shared_ptr<metrics> stats)
    : impl_(std::make_unique<impl>()) {
  if (!routes) throw std::invalid_argument("server needs a router");
  impl_->settings = settings;
  impl_->settings.io_threads = std::max<std::size_t>(settings.io_threads, 1);
  impl_->settings.pipeline_limit = std::max<std::size_t>(settings.pipeline_limit, 1);
  impl_->state = std::make_shared<server_state>();
  for (std::size_t i = 0; i < impl_->settings.io_threads; ++i) {
    // Concurrency hint 1: each context runs on exactly one thread.
    impl_->contexts.push_back(std::make_shared<net::io_context>(1));
    impl_->state->contexts.push_back(impl_->contexts.back());
  }
  impl_->state->settings = impl_->settings;
  impl_->state->routes = std::move(routes);
  impl_->state->stats = stats ? std::move(stats) : std::make_shared<metrics>();
  impl_->state->id_seed = std::random_device{}() * 0x100000001ULL ^ std::random_device{}();
}

server::~server() { stop(); }

void server::start() {
  if (impl_->started) throw std::logic_error("server already started");
  auto& s = impl_->settings;
  auto endpoint = resolve_listen(s.listen);
  if (s.tls_cert.empty() != s.tls_key.empty())
    throw std::invalid_argument("http.tls_cert and http.tls_key must be set together");
  if (!s.tls_cert.empty()) impl_->state->tls = make_tls_context(s.tls_cert, s.tls_key);
  try {
    std::vector<net::io_context*> contexts;
    for (auto& c : impl_->contexts) contexts.push_back(c.get());
    impl_->acceptor = std::make_shared<listener>(std::move(contexts), endpoint, impl_->state);
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code(), "cannot listen on " + s.listen);
  }
  impl_->port = impl_->acceptor->port();
  impl_->started = true;
  impl_->acceptor->run();
  // Keep run() going while connections wait for handlers with no I/O pending.
  impl_->threads.reserve(s.io_threads);
  for (auto& context : impl_->contexts) {
    impl_->work.push_back(net::make_work_guard(*context));
    impl_->threads.emplace_back([ioc = context] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          // A handler let an exception escape; keep serving the other connections.
          spdlog::error("http I/O thread caught: {}", e.what());
        } catch (...) {
          spdlog::error("http I/O thread caught a non-exception");
        }
      }
    });
  }
}

std::uint16_t server::port() const { return impl_->port; }

void server::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  auto& state = *impl_->state;
  impl_->acceptor->stop();

  std::vector<std::shared_ptr<session_base>> live;
  {
    std::lock_guard lock{state.mutex};
    state.stopping = true;
    for (auto& [key, weak] : state.sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->begin_shutdown();
  live.clear();
  {
    std::unique_lock lock{state.mutex};
    state.all_closed.wait_for(lock, stop_grace, [&] { return state.sessions.empty(); });
  }
  impl_->work.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // After the grace above, in which the jobs of requests already read may run; a checkpoint
  // still running is waited for, as its store outlives the server.
  impl_->blocking.stop();

  // No thread runs the io_contexts any more, so the sessions still waiting for a handler
  // can be closed from here without racing their threads.
  {
    std::lock_guard lock{state.mutex};
    for (auto& [key, weak] : state.sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->force_close();
}

const std::shared_ptr<metrics>& server::stats() const { return impl_->state->stats; }

blocking_work& server::blocking() { return impl_->blocking; }

}  // namespace baton::http
