#include "outgoing/etcd_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "outgoing/etcd_json.hpp"
#include "outgoing/etcd_transport.hpp"

namespace baton::outgoing::etcd {

using detail::retry;
using detail::transport;
using namespace std::chrono_literals;

namespace {

/// Sends `body` to `path` and hands the reply, read by `decode`, to `done`.
template <class T>
void unary(transport& t, std::string path, std::string body, retry how,
           result<T> (*decode)(std::string_view), callback<T> done) {
  t.request(std::move(path), std::move(body), how,
            [decode, done = std::move(done)](result<detail::reply> r) {
              if (!r) return done(r.error());
              done(decode(r->body));
            });
}

/// How long a restarting stream waits after a failure: 100 ms doubling to 2 s, so a member
/// that is down is not hammered and one that is back is found quickly.
std::chrono::milliseconds restart_delay(int failures) {
  return std::min<std::chrono::milliseconds>(100ms * (1 << std::min(failures, 5)), 2000ms);
}

/// A stream that its owner restarts after a dropped connection (watch, observe). Lives on
/// the io thread; the user's handle only flips `cancelled` through a post.
///
/// A member that hangs (stopped, or cut off from the others) keeps the connection open and
/// sends nothing, which looks like a quiet stream. So a stream that was quiet for a request
/// timeout asks its member for a linearizable read; when that fails, the stream is reopened
/// on another member.
class restarting_stream : public handle, public std::enable_shared_from_this<restarting_stream> {
 public:
  explicit restarting_stream(transport& t) : t_(t), timer_(t.io()), liveness_(t.io()) {}
  ~restarting_stream() override = default;

  void cancel() override {
    t_.post([self = shared_from_this()] { self->stop(); });
  }

 protected:
  /// The body that (re)opens the stream.
  virtual std::string open_body() = 0;
  virtual std::string path() const = 0;
  /// One object of the stream. @returns false to end the stream for good.
  virtual bool on_object(std::string_view object) = 0;
  /// A key the liveness probe reads.
  virtual const std::string& probe_key() const = 0;

  void open() {
    if (cancelled_) return;
    auto weak = weak_from_this();
    stream_ = t_.stream(
        path(), open_body(),
        [weak](std::string_view object) {
          auto self = weak.lock();
          if (!self || self->cancelled_) return;
          self->failures_ = 0;
          self->heard_ = true;
          if (!self->on_object(object)) self->stop();
        },
        [weak](const etcd::error&) {
          if (auto self = weak.lock()) self->reopen_later();
        });
    check_later();
  }

  /// Drops the stream and opens it again after the usual delay (etcd cancelled it, or its
  /// member stopped answering).
  void reopen() {
    if (stream_) stream_->cancel();
    stream_.reset();
    reopen_later();
  }

  void stop() {
    cancelled_ = true;
    timer_.cancel();
    liveness_.cancel();
    if (stream_) stream_->cancel();
    stream_.reset();
  }

  bool cancelled_ = false;

 private:
  void reopen_later() {
    if (cancelled_) return;
    timer_.expires_after(restart_delay(failures_++));
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->open();
    });
  }

  void check_later() {
    heard_ = false;
    liveness_.expires_after(t_.request_timeout());
    liveness_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->check();
    });
  }

  void check() {
    if (cancelled_ || !stream_) return;
    if (heard_) return check_later();
    auto probed = stream_;
    t_.probe(probed->endpoint(), "/v3/kv/range", json::range_body(probe_key(), {}, 1, 0),
             [weak = weak_from_this(), probed](result<detail::reply> r) {
               auto self = weak.lock();
               if (!self || self->cancelled_ || self->stream_ != probed) return;
               if (r) return self->check_later();
               // The probe moved the client off that member: reopen elsewhere, where the
               // watch resumes after the last event it delivered.
               self->reopen();
             });
  }

  transport& t_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer liveness_;
  std::shared_ptr<detail::exchange_handle> stream_;
  int failures_ = 0;
  bool heard_ = false;  ///< whether the stream said something since the last check
};

/// A user's handle that cancels what it holds when destroyed.
template <class Inner>
class owning_handle : public handle {
 public:
  explicit owning_handle(std::shared_ptr<Inner> inner) : inner_(std::move(inner)) {}
  ~owning_handle() override { inner_->cancel(); }
  void cancel() override { inner_->cancel(); }

 private:
  std::shared_ptr<Inner> inner_;
};

class watch_stream final : public restarting_stream {
 public:
  watch_stream(transport& t, std::string key, std::string range_end, std::int64_t start,
               std::function<void(result<std::vector<event>>)> on_events)
      : restarting_stream(t),
        key_(std::move(key)),
        range_end_(std::move(range_end)),
        next_revision_(start),
        on_events_(std::move(on_events)) {}

  void begin() { open(); }

 private:
  std::string path() const override { return "/v3/watch"; }
  const std::string& probe_key() const override { return key_; }
  std::string open_body() override {
    return json::watch_create_body(key_, range_end_, next_revision_);
  }

  bool on_object(std::string_view object) override {
    auto w = json::decode_watch(object);
    if (!w) return true;  // an error object: the stream ends and reopens
    // etcd cancels a watch whose start revision it has compacted and names its oldest
    // revision left. It cancels watches for other reasons too (seen when a member of three
    // died) and may name that revision then as well: only one above where this watch goes
    // on means events are gone. Any other cancelled watch opens again from there.
    if (next_revision_ > 0 && w->compact_revision > next_revision_) {
      on_events_(
          etcd::error{errc::compacted,
                      "watch start revision " + std::to_string(next_revision_) + " is compacted",
                      w->compact_revision});
      return false;
    }
    if (w->canceled) {
      reopen();
      return true;
    }
    // A watch opened "from now" resumes after what etcd had when it was created.
    if (w->created && next_revision_ <= 0) next_revision_ = w->header_revision + 1;
    if (w->events.empty()) return true;
    std::vector<event> fresh;
    for (auto& e : w->events)
      if (e.kv.mod_revision >= next_revision_) fresh.push_back(std::move(e));
    if (fresh.empty()) return true;
    next_revision_ = fresh.back().kv.mod_revision + 1;
    on_events_(std::move(fresh));
    return !cancelled_;
  }

  std::string key_;
  std::string range_end_;
  std::int64_t next_revision_;
  std::function<void(result<std::vector<event>>)> on_events_;
};

class observe_stream final : public restarting_stream {
 public:
  observe_stream(transport& t, std::string name, std::function<void(key_value)> on_leader)
      : restarting_stream(t), name_(std::move(name)), on_leader_(std::move(on_leader)) {}

  void begin() { open(); }

 private:
  std::string path() const override { return "/v3/election/observe"; }
  const std::string& probe_key() const override { return name_; }
  std::string open_body() override { return json::election_name_body(name_); }
  bool on_object(std::string_view object) override {
    if (auto kv = json::decode_leader(object)) on_leader_(std::move(*kv));
    return true;
  }

  std::string name_;
  std::function<void(key_value)> on_leader_;
};

/// Renews a lease at ttl/3; reports its loss once. Lives on the io thread.
///
/// A renewal that etcd answered with `ttl` proves the lease lives until at least the time
/// the renewal was *sent* plus `ttl`: etcd counts from when it handled the request, which
/// is later. A watchdog set to that time reports the loss even while a renewal hangs on
/// a member that does not answer, so the holder hears of it before anybody else can take
/// what the lease fenced, not a request timeout later.
class lease_keeper final : public handle, public std::enable_shared_from_this<lease_keeper> {
 public:
  lease_keeper(client& c, transport& t, std::int64_t id, std::int64_t ttl,
               std::function<void()> on_lost)
      : client_(c),
        t_(t),
        id_(id),
        ttl_(std::chrono::seconds(std::max<std::int64_t>(ttl, 1))),
        renew_timer_(t.io()),
        watchdog_(t.io()),
        on_lost_(std::move(on_lost)) {}

  void begin() {
    t_.post([self = shared_from_this()] {
      // The lease was granted (or renewed) just before it was handed to the keeper.
      self->extend_until(std::chrono::steady_clock::now() + self->ttl_);
      self->renew();
    });
  }

  void cancel() override {
    t_.post([self = shared_from_this()] { self->stop(); });
  }

 private:
  void renew() {
    if (stopped_) return;
    auto sent = std::chrono::steady_clock::now();
    client_.lease_keep_alive_once(id_, [self = shared_from_this(), sent](result<std::int64_t> r) {
      if (self->stopped_) return;
      if (r) {
        self->extend_until(sent + std::chrono::seconds(*r));
      } else if (r.error().code == errc::not_found) {
        return self->lost();
      }
      self->schedule();
    });
  }

  void schedule() {
    renew_timer_.expires_after(ttl_ / 3);
    renew_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->renew();
    });
  }

  void extend_until(std::chrono::steady_clock::time_point expiry) {
    watchdog_.expires_at(expiry);
    watchdog_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec && !self->stopped_) self->lost();
    });
  }

  void lost() {
    stop();
    on_lost_();
  }

  void stop() {
    stopped_ = true;
    renew_timer_.cancel();
    watchdog_.cancel();
  }

  client& client_;
  transport& t_;
  std::int64_t id_;
  std::chrono::milliseconds ttl_;
  boost::asio::steady_timer renew_timer_;
  boost::asio::steady_timer watchdog_;
  std::function<void()> on_lost_;
  bool stopped_ = false;
};

/// A campaign's handle: cancelling closes the request (etcd withdraws the candidate) and
/// answers `cancelled`.
class campaign_handle final : public handle {
 public:
  campaign_handle(transport& t, std::shared_ptr<detail::exchange_handle> x,
                  std::shared_ptr<callback<leader_key>> done)
      : t_(t), x_(std::move(x)), done_(std::move(done)) {}
  ~campaign_handle() override { cancel(); }
  void cancel() override {
    x_->cancel();
    t_.post([done = done_] {
      if (*done) std::exchange(*done, nullptr)(etcd::error{errc::cancelled, "campaign cancelled"});
    });
  }

 private:
  transport& t_;
  std::shared_ptr<detail::exchange_handle> x_;
  std::shared_ptr<callback<leader_key>> done_;
};

}  // namespace

client::client(options opts)
    : transport_(std::make_unique<transport>(std::move(opts.endpoints), opts.request_timeout,
                                             opts.connections)) {}

std::unique_ptr<client> client::create(options opts) {
  return std::unique_ptr<client>(new client(std::move(opts)));
}

client::~client() = default;

void client::range(std::string key, std::string range_end, std::int64_t limit,
                   std::int64_t revision, callback<range_result> done) {
  unary(*transport_, "/v3/kv/range", json::range_body(key, range_end, limit, revision), retry::safe,
        json::decode_range, std::move(done));
}

void client::range_keys_written_by(std::string key, std::string range_end,
                                   std::int64_t max_mod_revision, std::int64_t limit,
                                   callback<range_result> done) {
  unary(*transport_, "/v3/kv/range",
        json::range_body(key, range_end, limit, 0, /*keys_only=*/true, max_mod_revision),
        retry::safe, json::decode_range, std::move(done));
}

void client::put(std::string key, std::string value, std::int64_t lease,
                 callback<put_result> done) {
  unary(*transport_, "/v3/kv/put", json::put_body(key, value, lease), retry::before_sending,
        json::decode_put, std::move(done));
}

void client::delete_range(std::string key, std::string range_end, callback<delete_result> done) {
  unary(*transport_, "/v3/kv/deleterange", json::delete_body(key, range_end), retry::before_sending,
        json::decode_delete, std::move(done));
}

void client::txn(txn_request request, callback<txn_result> done) {
  // Only a transaction fenced by compares can be sent again safely: a second run of an
  // applied one fails its compare instead of writing twice.
  auto how = request.compare.empty() ? retry::before_sending : retry::safe;
  unary(*transport_, "/v3/kv/txn", json::txn_body(request), how, json::decode_txn, std::move(done));
}

void client::compact(std::int64_t revision, callback<etcd::done> done) {
  unary(*transport_, "/v3/kv/compaction", json::compaction_body(revision), retry::safe,
        json::decode_done, std::move(done));
}

void client::status(callback<status_result> done) {
  unary(*transport_, "/v3/maintenance/status", "{}", retry::safe, json::decode_status,
        std::move(done));
}

void client::lease_grant(std::int64_t ttl, callback<lease_grant_result> done) {
  unary(*transport_, "/v3/lease/grant", json::lease_grant_body(ttl), retry::before_sending,
        json::decode_lease_grant, std::move(done));
}

void client::lease_revoke(std::int64_t id, callback<etcd::done> done) {
  unary(*transport_, "/v3/lease/revoke", json::lease_id_body(id), retry::safe, json::decode_done,
        std::move(done));
}

void client::lease_keep_alive_once(std::int64_t id, callback<std::int64_t> done) {
  // A bidirectional stream on the gateway; with one request in the body it answers once.
  auto answered = std::make_shared<bool>(false);
  auto x = std::make_shared<std::shared_ptr<detail::exchange_handle>>();
  *x = transport_->stream(
      "/v3/lease/keepalive", json::lease_id_body(id),
      [done, answered, x](std::string_view object) {
        if (std::exchange(*answered, true)) return;
        // Dropping the handle breaks the cycle stream -> this callback -> handle.
        if (auto stream = std::move(*x)) stream->cancel();
        done(json::decode_keep_alive(object));
      },
      [done, answered, x](etcd::error e) {
        x->reset();
        if (!std::exchange(*answered, true)) done(std::move(e));
      });
  // The stream has no deadline of its own once sent: give this one the request timeout.
  auto timer = std::make_shared<boost::asio::steady_timer>(transport_->io());
  timer->expires_after(transport_->request_timeout());
  transport_->post([timer, x, answered, done] {
    timer->async_wait([timer, x, answered, done](boost::system::error_code ec) {
      if (ec || *answered) return;
      *answered = true;
      if (auto stream = std::move(*x)) stream->cancel();
      done(etcd::error{errc::unavailable, "keep-alive not answered in time"});
    });
  });
}

std::unique_ptr<handle> client::keep_alive(std::int64_t id, std::int64_t ttl,
                                           std::function<void()> on_lost) {
  auto keeper = std::make_shared<lease_keeper>(*this, *transport_, id, ttl, std::move(on_lost));
  keeper->begin();
  return std::make_unique<owning_handle<lease_keeper>>(std::move(keeper));
}

std::unique_ptr<handle> client::campaign(std::string name, std::int64_t lease, std::string value,
                                         callback<leader_key> done) {
  auto shared_done = std::make_shared<callback<leader_key>>(std::move(done));
  auto x = transport_->request("/v3/election/campaign", json::campaign_body(name, lease, value),
                               retry::safe, 0ms, [shared_done](result<detail::reply> r) {
                                 if (!*shared_done) return;
                                 auto done = std::exchange(*shared_done, nullptr);
                                 if (!r) return done(r.error());
                                 done(json::decode_campaign(r->body));
                               });
  return std::make_unique<campaign_handle>(*transport_, std::move(x), std::move(shared_done));
}

void client::proclaim(leader_key leader, std::string value, callback<etcd::done> done) {
  unary(*transport_, "/v3/election/proclaim", json::proclaim_body(leader, value), retry::safe,
        json::decode_done, std::move(done));
}

void client::leader(std::string name, callback<key_value> done) {
  unary(*transport_, "/v3/election/leader", json::election_name_body(name), retry::safe,
        json::decode_leader, std::move(done));
}

void client::resign(leader_key leader, callback<etcd::done> done) {
  unary(*transport_, "/v3/election/resign", json::resign_body(leader), retry::safe,
        json::decode_done, std::move(done));
}

std::unique_ptr<handle> client::observe(std::string name,
                                        std::function<void(key_value)> on_leader) {
  auto s = std::make_shared<observe_stream>(*transport_, std::move(name), std::move(on_leader));
  transport_->post([s] { s->begin(); });
  return std::make_unique<owning_handle<observe_stream>>(std::move(s));
}

std::unique_ptr<handle> client::watch(std::string key, std::string range_end,
                                      std::int64_t start_revision,
                                      std::function<void(result<std::vector<event>>)> on_events) {
  auto s = std::make_shared<watch_stream>(*transport_, std::move(key), std::move(range_end),
                                          start_revision, std::move(on_events));
  transport_->post([s] { s->begin(); });
  return std::make_unique<owning_handle<watch_stream>>(std::move(s));
}

}  // namespace baton::outgoing::etcd
