#include "outgoing/etcd_transport.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "outgoing/allow_list.hpp"
#include "outgoing/connection.hpp"
#include "outgoing/etcd_json.hpp"

namespace baton::outgoing::etcd::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using outgoing::detail::connection;

namespace {
class exchange;
/// The least time a try on one member gets before the request moves to the next.
constexpr std::chrono::milliseconds min_try{500};
}  // namespace

struct transport::core {
  std::vector<url_target> endpoints;
  std::size_t pool_size = 4;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  bool closing = false;       ///< io thread only
  std::size_t preferred = 0;  ///< the endpoint that answered last; io thread only
  /// Shared: an operation in flight on a connection holds it too, since Beast's composed
  /// operations touch their stream until their handler has run, also after a close.
  std::unordered_map<std::size_t, std::vector<std::shared_ptr<connection>>> idle;
  std::unordered_map<const exchange*, std::weak_ptr<exchange>> live;

  std::shared_ptr<connection> take(std::size_t endpoint) {
    auto& list = idle[endpoint];
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      if (!c->stale()) return c;
      c->close();
    }
    return nullptr;
  }

  void give_back(std::size_t endpoint, std::shared_ptr<connection> c) {
    auto& list = idle[endpoint];
    if (list.size() < pool_size && !closing)
      list.push_back(std::move(c));
    else
      c->close();
  }
};

namespace {

/// What one try on one member reads and writes. Shared with the operations in flight, so
/// that a try abandoned for the next member leaves them nothing freed to touch.
struct attempt {
  outgoing::detail::outgoing_request_message req;
  outgoing::detail::outgoing_response_parser parser;
  beast::flat_buffer buffer;
};

/// One request on one member at a time: (pooled connection | resolve → connect) → write →
/// read, moving on to the next member on failure as its `retry` allows, under one deadline.
/// Each try also has a share of that deadline: a member that hangs (stopped, partitioned)
/// accepts connections and answers nothing, and only a per-try bound moves past it.
/// Runs on the transport's single io thread, so it needs no strand.
class exchange : public exchange_handle, public std::enable_shared_from_this<exchange> {
 public:
  exchange(transport::core& core, std::weak_ptr<transport::core> owner, std::string path,
           std::string body, retry how, std::chrono::milliseconds timeout,
           std::chrono::milliseconds connect_timeout)
      : core_(core),
        owner_(std::move(owner)),
        path_(std::move(path)),
        body_(std::move(body)),
        how_(how),
        timeout_(timeout),
        connect_timeout_(connect_timeout),
        resolver_(core.ioc),
        deadline_(core.ioc),
        try_deadline_(core.ioc) {}

  std::function<void(result<reply>)> on_reply;
  std::function<void(std::string_view)> on_object;  ///< set: a stream
  std::function<void(etcd::error)> on_end;
  std::optional<std::size_t> pin;  ///< set: this member only (a probe)

  void start() {
    core_.live.emplace(this, weak_from_this());
    // A stream or a campaign has no deadline once sent; until then the request timeout holds.
    deadline_.expires_after(timeout_.count() > 0 ? timeout_ : connect_timeout_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      // Whatever hung this request would hang the next one: start it elsewhere.
      self->move_off();
      self->fail({errc::unavailable, "no etcd member answered within " +
                                         std::to_string(self->connect_timeout_.count()) + " ms"});
    });
    endpoint_ = pin.value_or(core_.preferred) % core_.endpoints.size();
    try_endpoint();
  }

  std::size_t endpoint() const override { return endpoint_; }

  void cancel() override {
    auto owner = owner_.lock();
    if (!owner) return;
    net::post(owner->ioc, [self = shared_from_this()] { self->finish_silently(); });
  }

  /// Ends the exchange with `e` unless it has ended.
  void fail(etcd::error e) {
    if (finished_) return;
    finish_silently();
    if (on_reply) on_reply(std::move(e));
    if (on_end) on_end(std::move(e));
  }

 private:
  void try_endpoint() {
    ++generation_;
    sent_ = false;
    splitter_ = {};
    at_ = std::make_shared<attempt>();
    at_->parser.body_limit(on_object ? std::numeric_limits<std::uint64_t>::max()
                                     : std::uint64_t{64} << 20);
    if (on_object) {
      // The parser keeps a reference to its callback: it lives as a member.
      chunk_body_ = [this, gen = generation_](std::uint64_t, beast::string_view data,
                                              beast::error_code&) {
        if (gen != generation_) return data.size();
        splitter_.feed(data, [this](std::string_view object) {
          if (!finished_) on_object(object);
        });
        return data.size();
      };
      at_->parser.on_chunk_body(chunk_body_);
    }
    const auto& to = core_.endpoints[endpoint_];
    auto& req = at_->req;
    req.version(11);
    req.method(bh::verb::post);
    req.target(to.target == "/" ? path_ : to.target + path_);
    req.set(bh::field::host, to.authority);
    req.set(bh::field::content_type, "application/json");
    req.body() = body_;
    req.prepare_payload();
    arm_try_deadline();
    conn_ = core_.take(endpoint_);
    reused_ = conn_ != nullptr;
    if (conn_) return do_write();
    resolver_.async_resolve(to.host, std::to_string(to.port),
                            [self = shared_from_this(), gen = generation_](
                                beast::error_code ec, tcp::resolver::results_type results) {
                              if (self->stale(gen)) return;
                              self->on_resolve(ec, std::move(results));
                            });
  }

  /// With several members, a try gets its share of the deadline (at least `min_try`);
  /// past it the request moves on if its `retry` allows, else it waits out the deadline.
  void arm_try_deadline() {
    auto members = core_.endpoints.size();
    auto budget = timeout_.count() > 0 ? timeout_ : connect_timeout_;
    if (members < 2 || pin) return;
    auto share = std::max<std::chrono::milliseconds>(budget / members, min_try);
    try_deadline_.expires_after(share);
    try_deadline_.async_wait(
        [self = shared_from_this(), gen = generation_, share](beast::error_code ec) {
          if (ec || self->stale(gen)) return;
          if (self->how_ != retry::safe && self->sent_) return;
          self->on_failure("no answer within " + std::to_string(share.count()) + " ms", false);
        });
  }

  /// The next request starts on another member than this failed one, unless one has
  /// answered since.
  void move_off() {
    if (core_.preferred % core_.endpoints.size() == endpoint_) core_.preferred = endpoint_ + 1;
  }

  /// Whether a completion belongs to a try that has been given up.
  bool stale(std::uint64_t gen) const { return finished_ || gen != generation_; }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (finished_) return;
    if (ec) return on_failure("resolve: " + ec.message(), false);
    conn_ = std::make_shared<connection>(core_.ioc.get_executor(), nullptr);
    conn_->async_connect(results, [self = shared_from_this(), gen = generation_,
                                   conn = conn_](beast::error_code ec) {
      if (self->stale(gen)) return;
      if (ec) return self->on_failure("connect: " + ec.message(), false);
      beast::error_code ignored;
      self->conn_->lowest().socket().set_option(tcp::no_delay(true), ignored);
      self->do_write();
    });
  }

  void do_write() {
    auto at = at_;
    conn_->async_write(at->req, [self = shared_from_this(), gen = generation_, at, conn = conn_](
                                    beast::error_code ec, std::size_t) {
      if (self->stale(gen)) return;
      if (ec) return self->on_failure("write: " + ec.message(), false);
      self->sent_ = true;
      if (self->timeout_.count() <= 0) {
        // A stream or campaign answers when it has something to say: no deadline now.
        self->deadline_.cancel();
        self->try_deadline_.cancel();
      }
      self->conn_->async_read(at->buffer, at->parser,
                              [self, gen, at, conn](beast::error_code ec, std::size_t) {
                                if (!self->stale(gen)) self->on_read(ec);
                              });
    });
  }

  void on_read(beast::error_code ec) {
    auto& parser = at_->parser;
    if (ec) return on_failure("read: " + ec.message(), !parser.got_some());
    auto status = parser.get().result_int();
    if (on_object) {
      // A stream that ends is for the owner to restart; the connection is not reusable.
      if (status != 200)
        return fail(json::decode_error(static_cast<int>(status), parser.get().body()));
      return fail({errc::unavailable, "stream ended by the server"});
    }
    if (status != 200) {
      auto e = json::decode_error(static_cast<int>(status), parser.get().body());
      // A member without a leader answers "unavailable": another member may do better.
      if (e.code == errc::unavailable && how_ == retry::safe) return on_failure(e.message, false);
      give_back_connection();
      return fail(std::move(e));
    }
    core_.preferred = endpoint_;
    auto body = std::move(parser.get().body());
    give_back_connection();
    finish_silently();
    on_reply(reply{std::move(body)});
  }

  void give_back_connection() {
    if (conn_ && at_->parser.get().keep_alive() && at_->buffer.size() == 0)
      core_.give_back(endpoint_, std::move(conn_));
  }

  /// `untouched`: the member sent nothing back, so a reused connection was simply dead.
  void on_failure(std::string why, bool untouched) {
    if (conn_) conn_->close();
    conn_.reset();
    if (reused_ && (untouched || !sent_)) {
      // The pooled connection had been closed by the member; try it once on a fresh one.
      reused_ = false;
      if (!sent_ || how_ == retry::safe || untouched) return try_endpoint();
    }
    bool may_move_on = (how_ == retry::safe || !sent_) && !pin;
    if (may_move_on && ++attempts_ < core_.endpoints.size()) {
      endpoint_ = (endpoint_ + 1) % core_.endpoints.size();
      core_.preferred = endpoint_;
      return try_endpoint();
    }
    move_off();
    fail({errc::unavailable, sent_ && !may_move_on
                                 ? "etcd member failed after the request was sent (outcome "
                                   "unknown): " +
                                       why
                                 : "no etcd member answered: " + why});
  }

  void finish_silently() {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    try_deadline_.cancel();
    resolver_.cancel();
    if (conn_) conn_->close();
    conn_.reset();
    core_.live.erase(this);
  }

  transport::core& core_;
  std::weak_ptr<transport::core> owner_;
  std::string path_;
  std::string body_;
  retry how_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds connect_timeout_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  net::steady_timer try_deadline_;
  std::shared_ptr<connection> conn_;  ///< shared with the operations in flight on it
  std::shared_ptr<attempt> at_;
  json::object_splitter splitter_;
  std::function<std::uint64_t(std::uint64_t, beast::string_view, beast::error_code&)> chunk_body_;
  std::size_t endpoint_ = 0;
  std::size_t attempts_ = 0;
  bool reused_ = false;
  bool sent_ = false;
  bool finished_ = false;
  std::uint64_t generation_ = 0;  ///< of the current try; completions of older ones are ignored
};

}  // namespace

transport::transport(std::vector<std::string> endpoints, std::chrono::milliseconds request_timeout,
                     int pool_size)
    : core_(std::make_shared<core>()), timeout_(request_timeout) {
  for (const auto& url : endpoints) {
    auto parsed = parse_target(url);
    if (auto* why = std::get_if<std::string>(&parsed))
      throw std::invalid_argument("etcd endpoint " + url + ": " + *why);
    auto& target = std::get<url_target>(parsed);
    if (target.tls)
      throw std::invalid_argument("etcd endpoint " + url + ": https is not supported");
    if (target.target.size() > 1 && target.target.back() == '/') target.target.pop_back();
    core_->endpoints.push_back(std::move(target));
  }
  if (core_->endpoints.empty()) throw std::invalid_argument("etcd: no endpoints");
  core_->pool_size = static_cast<std::size_t>(std::max(pool_size, 1));
  core_->work.emplace(core_->ioc.get_executor());
  core_->thread = std::thread([c = core_.get()] {
    for (;;) {
      try {
        c->ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("etcd client thread caught: {}", e.what());
      }
    }
  });
}

transport::~transport() {
  net::post(core_->ioc, [c = core_.get()] {
    c->closing = true;
    std::vector<std::shared_ptr<exchange>> live;
    for (auto& [_, weak] : c->live)
      if (auto x = weak.lock()) live.push_back(std::move(x));
    for (auto& x : live) x->fail({errc::unavailable, "client closed"});
    for (auto& [_, list] : c->idle)
      for (auto& conn : list) conn->close();
    c->idle.clear();
    // Timers of keepers and watches would keep run() going: stop outright.
    c->ioc.stop();
  });
  core_->work.reset();
  core_->thread.join();
}

net::io_context& transport::io() { return core_->ioc; }

void transport::post(std::function<void()> f) {
  net::post(core_->ioc, [c = core_.get(), f = std::move(f)] {
    if (!c->closing) f();
  });
}

std::shared_ptr<exchange_handle> transport::request(std::string path, std::string body, retry how,
                                                    std::function<void(result<reply>)> done) {
  return request(std::move(path), std::move(body), how, timeout_, std::move(done));
}

std::shared_ptr<exchange_handle> transport::request(std::string path, std::string body, retry how,
                                                    std::chrono::milliseconds timeout,
                                                    std::function<void(result<reply>)> done) {
  auto x = std::make_shared<exchange>(*core_, core_, std::move(path), std::move(body), how, timeout,
                                      timeout_);
  x->on_reply = std::move(done);
  net::post(core_->ioc, [x, c = core_.get()] {
    if (c->closing) return x->fail({errc::unavailable, "client closed"});
    x->start();
  });
  return x;
}

void transport::probe(std::size_t endpoint, std::string path, std::string body,
                      std::function<void(result<reply>)> done) {
  auto x = std::make_shared<exchange>(*core_, core_, std::move(path), std::move(body), retry::safe,
                                      timeout_, timeout_);
  x->on_reply = std::move(done);
  x->pin = endpoint;
  net::post(core_->ioc, [x, c = core_.get()] {
    if (c->closing) return x->fail({errc::unavailable, "client closed"});
    x->start();
  });
}

std::shared_ptr<exchange_handle> transport::stream(std::string path, std::string body,
                                                   std::function<void(std::string_view)> on_object,
                                                   std::function<void(etcd::error)> on_end) {
  auto x = std::make_shared<exchange>(*core_, core_, std::move(path), std::move(body), retry::safe,
                                      std::chrono::milliseconds{0}, timeout_);
  x->on_object = std::move(on_object);
  x->on_end = std::move(on_end);
  net::post(core_->ioc, [x, c = core_.get()] {
    if (c->closing) return x->fail({errc::unavailable, "client closed"});
    x->start();
  });
  return x;
}

}  // namespace baton::outgoing::etcd::detail
