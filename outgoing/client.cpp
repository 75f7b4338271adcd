#include "outgoing/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "outgoing/allow_list.hpp"
#include "outgoing/connection.hpp"

namespace baton::outgoing {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

using clock = std::chrono::steady_clock;

/// How long an idle connection stays in the pool; servers often close sooner (Node: 5 s),
/// which the staleness check and the one retry absorb.
constexpr auto pool_idle_limit = std::chrono::seconds(15);
constexpr std::size_t pool_per_host = 32;

using detail::connection;

class call_op;

}  // namespace

struct detail::client_core {
  config::outgoing_settings settings;
  client_options options;
  allow_list allow{{}};
  // Declared before everything that holds sockets or TLS state, so it is destroyed after.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  ssl::context tls{ssl::context::tls_client};
  std::once_flag system_roots_loaded;
  std::vector<std::thread> threads;

  std::mutex mutex;  ///< guards `calls` and `idle`; held only for a lookup or an insert
  std::unordered_map<const call_op*, std::weak_ptr<call_op>> calls;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle;

  /// @param refused the call was not made, for a reason no retry changes
  void fail_soon(delegate_client::callback done, std::string error, bool refused = false) {
    // Never inside call(): the caller may hold a lock or be mid-way through its own state.
    net::post(ioc, [done = std::move(done), error = std::move(error), refused]() mutable {
      outgoing_response res;
      res.error = std::move(error);
      res.refused = refused;
      try {
        done(std::move(res));
      } catch (const std::exception& e) {
        spdlog::error("outgoing call callback threw: {}", e.what());
      }
    });
  }

  /// A pooled connection to `key` that still looks alive, or null.
  std::unique_ptr<connection> take(const std::string& key) {
    std::vector<std::unique_ptr<connection>> discard;
    std::unique_ptr<connection> found;
    {
      std::lock_guard lock{mutex};
      auto it = idle.find(key);
      if (it == idle.end()) return nullptr;
      auto& list = it->second;
      auto now = clock::now();
      while (!list.empty() && !found) {
        auto c = std::move(list.back());
        list.pop_back();
        if (now - c->idle_since < pool_idle_limit && !c->stale())
          found = std::move(c);
        else
          discard.push_back(std::move(c));
      }
    }
    // Idle connections have no operation pending, so any thread may close them.
    for (auto& c : discard) c->close();
    return found;
  }

  /// The TLS context, with the system's trusted roots in it. They are read at the first TLS
  /// connection, not at start: parsing the system bundle costs about 200M instructions (a
  /// third of a restart's work with 5,000 stored processes), twice on a cluster node, for
  /// servers and CLI commands that may never call an https address.
  ssl::context& tls_with_roots() {
    std::call_once(system_roots_loaded, [this] {
      beast::error_code ec;
      tls.set_default_verify_paths(ec);
      if (ec) spdlog::warn("outgoing TLS: the system's trusted roots: {}", ec.message());
    });
    return tls;
  }

  void give_back(const std::string& key, std::unique_ptr<connection> c) {
    c->idle_since = clock::now();
    {
      std::lock_guard lock{mutex};
      auto& list = idle[key];
      if (list.size() < pool_per_host) {
        list.push_back(std::move(c));
        return;
      }
    }
    c->close();
  }
};

namespace {

/// One outgoing call: (resolve → connect → TLS handshake, unless a pooled connection is
/// reused) → write → read → done, all on one strand, under one deadline timer that
/// cancels whatever step is pending. A reused connection that turns out dead before any
/// byte of the answer arrived is replaced by a fresh one, once.
class call_op : public std::enable_shared_from_this<call_op> {
 public:
  call_op(std::shared_ptr<detail::client_core> client, delegate_client::callback done,
          std::string pool_key, bool tls, std::string host, std::uint16_t port,
          std::chrono::milliseconds timeout, std::size_t response_limit,
          std::unique_ptr<connection> reused)
      : client_(std::move(client)),
        done_(std::move(done)),
        // A reused connection keeps the strand its stream was made with; nothing else
        // uses that strand while the connection is ours.
        strand_(reused ? reused->lowest().get_executor()
                       : net::any_io_executor{net::make_strand(client_->ioc)}),
        resolver_(strand_),
        deadline_(strand_),
        conn_(std::move(reused)),
        pool_key_(std::move(pool_key)),
        host_(std::move(host)),
        port_(port),
        timeout_(timeout),
        response_limit_(response_limit),
        tls_(tls),
        reused_(conn_ != nullptr) {
    reset_parser();
  }

  detail::outgoing_request_message& request() { return req_; }

  void start() {
    net::dispatch(strand_, [self = shared_from_this()] { self->begin(); });
  }

  /// Ends the call with `reason` unless it has ended; any thread.
  void abort(std::string reason) {
    net::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)]() mutable {
      self->fail(std::move(reason));
    });
  }

 private:
  void reset_parser() {
    parser_.emplace();
    parser_->body_limit(response_limit_);
    buffer_.clear();
  }

  void begin() {
    // One deadline for the whole call, resolution included, which tcp_stream's own
    // timeouts would not cover.
    deadline_.expires_after(timeout_);
    deadline_.async_wait(beast::bind_front_handler(&call_op::on_deadline, shared_from_this()));
    if (conn_)
      do_write();
    else
      do_resolve();
  }

  void do_resolve() {
    resolver_.async_resolve(host_, std::to_string(port_),
                            beast::bind_front_handler(&call_op::on_resolve, shared_from_this()));
  }

  void on_deadline(beast::error_code ec) {
    if (ec) return;  // cancelled: the call ended first
    fail("timeout after " + std::to_string(timeout_.count()) + " ms");
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (finished_) return;
    if (ec) return fail("resolve " + host_ + ": " + ec.message());
    conn_ = std::make_unique<connection>(strand_, tls_ ? &client_->tls_with_roots() : nullptr);
    conn_->async_connect(results,
                         beast::bind_front_handler(&call_op::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec) {
    if (finished_) return;
    if (ec) return fail("connect " + host_ + ":" + std::to_string(port_) + ": " + ec.message());
    beast::error_code ignored;
    conn_->lowest().socket().set_option(tcp::no_delay(true), ignored);
    if (!tls_) return do_write();
    conn_->async_handshake(host_,
                           beast::bind_front_handler(&call_op::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (finished_) return;
    if (ec) return fail("TLS handshake: " + ec.message());
    do_write();
  }

  void do_write() {
    conn_->async_write(req_, beast::bind_front_handler(&call_op::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (finished_) return;
    if (ec) {
      if (reused_) return retry_fresh();
      return fail("write: " + ec.message());
    }
    if (req_.method() == bh::verb::head) parser_->skip(true);
    conn_->async_read(buffer_, *parser_,
                      beast::bind_front_handler(&call_op::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (finished_) return;
    if (ec == bh::error::body_limit) return fail("response too large");
    if (ec) {
      // The server closed the pooled connection before our request reached it; nothing
      // was answered, so sending it again on a fresh connection is safe.
      if (reused_ && !parser_->got_some()) return retry_fresh();
      return fail("read: " + ec.message());
    }
    outgoing_response res;
    res.status = static_cast<int>(parser_->get().result_int());
    bool reusable = parser_->get().keep_alive() && buffer_.size() == 0;
    res.body = std::move(parser_->get().body());
    finish(std::move(res), reusable);
  }

  void retry_fresh() {
    reused_ = false;
    conn_->close();
    conn_.reset();
    reset_parser();
    do_resolve();
  }

  void fail(std::string error) {
    outgoing_response res;
    res.error = std::move(error);
    finish(std::move(res), false);
  }

  void finish(outgoing_response res, bool reusable) {
    if (finished_) return;
    finished_ = true;
    // Cancel whatever is still pending; its handler sees finished_ and returns.
    deadline_.cancel();
    resolver_.cancel();
    if (conn_) {
      if (reusable)
        client_->give_back(pool_key_, std::move(conn_));
      else
        conn_->close();
    }
    {
      std::lock_guard lock{client_->mutex};
      client_->calls.erase(this);
    }
    auto done = std::move(done_);
    try {
      done(std::move(res));
    } catch (const std::exception& e) {
      spdlog::error("outgoing call callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("outgoing call callback threw a non-exception");
    }
  }

  std::shared_ptr<detail::client_core> client_;
  delegate_client::callback done_;
  net::any_io_executor strand_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  std::unique_ptr<connection> conn_;
  beast::flat_buffer buffer_;
  detail::outgoing_request_message req_;
  std::optional<detail::outgoing_response_parser> parser_;
  std::string pool_key_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::size_t response_limit_;
  bool tls_;
  bool reused_;
  bool finished_ = false;
};

}  // namespace

client::client(config::outgoing_settings settings, client_options options)
    : impl_(std::make_shared<detail::client_core>()) {
  impl_->settings = std::move(settings);
  impl_->options = std::move(options);
  impl_->allow = allow_list(impl_->settings.allow_hosts);
  for (const auto& entry : impl_->allow.malformed())
    spdlog::warn("outgoing.allow_hosts: ignoring malformed entry '{}'", entry);
  impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  // The system's roots come at the first TLS connection (tls_with_roots); a CA file of the
  // configuration is read now, so that a bad one stops the start.
  if (!impl_->options.ca_file.empty()) impl_->tls.load_verify_file(impl_->options.ca_file);
  impl_->tls.set_verify_mode(ssl::verify_peer);

  impl_->work.emplace(impl_->ioc.get_executor());
  auto threads = std::max<std::size_t>(impl_->options.threads, 1);
  for (std::size_t i = 0; i < threads; ++i)
    impl_->threads.emplace_back([state = impl_.get()] {
      for (;;) {
        try {
          state->ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("outgoing client thread caught: {}", e.what());
        }
      }
    });
}

client::~client() {
  std::vector<std::shared_ptr<call_op>> live;
  {
    std::lock_guard lock{impl_->mutex};
    for (auto& [key, weak] : impl_->calls)
      if (auto op = weak.lock()) live.push_back(std::move(op));
  }
  for (auto& op : live) op->abort("client stopped");
  live.clear();
  // With the guard gone, run() returns once the aborted calls have run their callbacks.
  impl_->work.reset();
  for (auto& t : impl_->threads) t.join();
}

std::string header_problem(std::string_view name, std::string_view value) {
  constexpr std::string_view separators = "()<>@,;:\\\"/[]?={} \t";
  if (name.empty() || name.size() > 256) return "name must be 1 to 256 characters";
  for (unsigned char c : name) {
    if (c <= 32 || c >= 127 || separators.find(static_cast<char>(c)) != std::string_view::npos) {
      return "name must be an HTTP token";
    }
  }
  if (value.size() > max_header_value) return "value longer than 8192 bytes";
  for (unsigned char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return "value must not hold CR, LF or NUL";
  }
  return {};
}

void client::call(outgoing_request request, callback done) {
  auto parsed = parse_target(request.url);
  if (auto* why = std::get_if<std::string>(&parsed))
    return impl_->fail_soon(std::move(done), std::move(*why), true);
  const auto& to = std::get<url_target>(parsed);
  if (auto why = impl_->allow.refusal(to); !why.empty() && !impl_->options.any_host)
    return impl_->fail_soon(std::move(done), std::move(why), true);
  const auto& [tls, host, port, authority, target] = to;

  for (const auto& [name, value] : request.headers) {
    if (auto why = header_problem(name, value); !why.empty()) {
      return impl_->fail_soon(std::move(done), "invalid header " + name.substr(0, 64) + ": " + why,
                              true);
    }
  }

  auto timeout = request.timeout.count() > 0 ? request.timeout : impl_->settings.default_timeout;
  auto limit = request.response_limit > 0 ? request.response_limit : impl_->options.response_limit;
  std::string key = (tls ? "https|" : "http|") + lower(host) + "|" + std::to_string(port);
  auto reused = impl_->take(key);
  auto op = std::make_shared<call_op>(impl_, std::move(done), std::move(key), tls, host, port,
                                      timeout, limit, std::move(reused));
  auto& req = op->request();
  req.version(11);
  req.method_string(request.method.empty() ? std::string_view{"GET"} : request.method);
  req.target(target);
  req.set(bh::field::host, authority);
  req.set(bh::field::user_agent, "baton");
  for (auto& [name, value] : request.headers) req.insert(name, value);
  req.body() = std::move(request.body);
  req.prepare_payload();
  {
    std::lock_guard lock{impl_->mutex};
    impl_->calls.emplace(op.get(), op);
  }
  op->start();
}

}  // namespace baton::outgoing
