#pragma once

// One connection's HTTP/1.1 logic, shared by the plain and the TLS session. Internal to the
// server: only plain_session.cpp and tls_session.cpp include it, so that the two stream
// types' instantiations of Beast's read and write compile in parallel.

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <charconv>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/problem.hpp"
#include "http/request_framing.hpp"
#include "http/request_id.hpp"
#include "http/response_header.hpp"
#include "http/router.hpp"
#include "http/server_state.hpp"

namespace baton::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

/// The route label of answers to requests that matched no route or could not be read.
inline constexpr std::string_view unmatched_route = "unmatched";

inline bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == beast::http::make_error_code(beast::http::error::bad_method).category();
}

/// The promise behind one `responder`: answers exactly once, and answers 500 if every copy
/// of the responder is dropped unanswered, so a connection never waits forever.
class reply_state {
 public:
  reply_state(std::shared_ptr<net::io_context> ioc, std::shared_ptr<session_base> session,
              std::uint64_t seq)
      : ioc_(std::move(ioc)), session_(std::move(session)), seq_(seq) {}

  ~reply_state() {
    if (!answered_.load(std::memory_order_relaxed))
      session_->post_response(
          seq_, problem(beast::http::status::internal_server_error, "Internal Server Error",
                        "the request was dropped without an answer"));
  }

  void answer(response res) {
    if (answered_.exchange(true)) return;
    session_->post_response(seq_, std::move(res));
  }

 private:
  // Declared first so it is released last: posting needs the io_context alive, and when
  // this is the last reference the io_context's destructor frees the posted handler.
  std::shared_ptr<net::io_context> ioc_;
  std::shared_ptr<session_base> session_;
  std::uint64_t seq_;
  std::atomic<bool> answered_{false};
};

/// One connection's HTTP/1.1 logic, shared by the plain and the TLS session (CRTP, as in
/// Beast's advanced_server_flex). Everything below runs on the connection's executor: an
/// io_context served by one thread, which plays the part of a strand.
///
/// A request goes through: wait for its first byte (idle timeout, after the first
/// request) → read its header (header timeout) → read its body → route → queue a slot
/// for its answer. Answers fill their slots in any order and are written from the front,
/// so a pipelining client gets them in request order.
template <class Derived>
class http_session : public session_base {
 public:
  using clock = std::chrono::steady_clock;

  http_session(const net::any_io_executor& ex, std::shared_ptr<server_state> state,
               std::string remote, std::size_t context)
      : state_(std::move(state)),
        remote_(std::move(remote)),
        context_(context),
        session_id_(state_->next_session.fetch_add(1, std::memory_order_relaxed)),
        watchdog_(ex) {}

  ~http_session() override {
    release_buffered();
    state_->leave(this);
  }

  void post_response(std::uint64_t seq, response res) override {
    // Hop onto the connection's thread: the queue is only ever touched there. `dispatch` runs
    // inline when the handler answered synchronously on that thread.
    net::dispatch(derived().stream().get_executor(),
                  [self = self(), seq, res = std::move(res)]() mutable {
                    self->on_response(seq, std::move(res));
                  });
  }

  void begin_shutdown() override {
    net::dispatch(derived().stream().get_executor(), [self = self()] { self->on_shutdown(); });
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  std::shared_ptr<Derived> self() { return std::static_pointer_cast<Derived>(shared_from_this()); }
  auto& lowest() { return beast::get_lowest_layer(derived().stream()); }

  /// Enters the server's list of connections; false (and closed) when the server stops.
  bool register_connection() {
    if (!state_->enter(shared_from_this())) {
      close_now();
      return false;
    }
    entered_ = true;
    return true;
  }

  void do_read() {
    if (read_stopped_ || stopping_ || closing_) return;
    if (!may_read_more()) {
      // Too many answers outstanding, or too many bytes of them: stop reading, so the
      // client's own send buffer pushes back, until on_write has drained the queue.
      read_paused_ = true;
      return;
    }
    reading_ = true;
    // A fresh parser per request: Beast parsers are single-use, and the limits are per
    // request.
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state_->settings.header_limit, UINT32_MAX)));
    parser_->body_limit(state_->settings.body_limit);
    if (first_request_) return do_read_header();
    if (buffer_.size() == 0) return do_wait();
    parse_buffered();
  }

  void do_wait() {
    // Between requests the connection is idle, not slow: wait for the next request's
    // first bytes without the header deadline. The idle timer closes the connection only
    // while no answer is outstanding, so a slow handler keeps its connection.
    waiting_ = true;
    read_deadline_ = never;
    if (idle()) idle_since_ = clock::now();
    watch();
    derived().stream().async_read_some(buffer_.prepare(4096),
                                       beast::bind_front_handler(&http_session::on_wait, self()));
  }

  void on_wait(beast::error_code ec, std::size_t n) {
    waiting_ = false;
    read_deadline_ = never;
    if (closing_) return after_read_cancelled();
    if (ec) return on_read_error(ec);
    buffer_.commit(n);
    parse_buffered();
  }

  void parse_buffered() {
    // A request usually arrives whole: parse its header straight from the buffer, and go
    // back to the socket (under the header deadline) only for a missing part.
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_header_done()) {
      auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == beast::http::error::need_more) break;
      if (ec) return on_read_error(ec);
      if (used == 0) break;
    }
    if (parser_->is_header_done()) return on_header({}, 0);
    do_read_header();
  }

  bool idle() const { return waiting_ && queue_.empty() && !writing_; }

  /// Whether another request may be read now. A connection whose answers pile up unwritten
  /// (a client that pipelines and does not read) reads no more: each answer is built whole
  /// in memory, so requests it never takes would grow the server without bound. A
  /// connection with nothing buffered always reads, so the total cap never stalls it.
  bool may_read_more() const {
    const auto& s = state_->settings;
    if (queue_.size() >= s.pipeline_limit) return false;
    if (buffered_ == 0) return true;
    return buffered_ < s.max_buffered_per_connection && !over_total_buffer();
  }

  bool over_total_buffer() const {
    return state_->stats->buffered_answer_bytes() >=
           static_cast<std::int64_t>(state_->settings.max_buffered_total);
  }

  bool over_buffer() const {
    return buffered_ > state_->settings.max_buffered_per_connection || over_total_buffer();
  }

  /// How long the answer being written may take: short when this connection holds more
  /// than its share of answer bytes, so a client that does not read is cut in seconds.
  clock::duration write_allowance() const {
    return over_buffer() ? state_->settings.drain_timeout : state_->settings.write_timeout;
  }

  void release_buffered() {
    if (buffered_ == 0) return;
    state_->stats->add_buffered_answer_bytes(-static_cast<std::int64_t>(buffered_));
    buffered_ = 0;
  }

  static constexpr clock::time_point never = clock::time_point::max();

  /// The read (or write) in progress must end within `d`, or the connection is closed: what
  /// Beast's tcp_stream does, without arming and cancelling a timer per operation.
  void read_deadline(clock::duration d) {
    read_deadline_ = clock::now() + d;
    watch();
  }
  void write_deadline(clock::duration d) {
    write_deadline_ = clock::now() + d;
    watch();
  }

  /// The earliest of the read's and the write's deadline and, while idle, the idle limit.
  clock::time_point next_due() const {
    auto due = std::min(read_deadline_, write_deadline_);
    if (idle()) due = std::min(due, idle_since_ + state_->settings.idle_timeout);
    return due;
  }

  /// One lazy timer per connection enforces every deadline. Setting a deadline is a store;
  /// the timer is armed again only when something is due before its expiry, and when it
  /// fires early it looks at what is due next. (tcp_stream's per-operation timer wait and
  /// cancel, work guards and executor copies were ~2.5k instructions per request.)
  void watch() {
    if (closed_) return;
    auto due = next_due();
    if (due == never || (watchdog_armed_ && watchdog_due_ <= due)) return;
    watchdog_armed_ = true;
    watchdog_due_ = due;
    // Cancels a later wait; that handler sees operation_aborted and leaves this one be.
    watchdog_.expires_at(due);
    watchdog_.async_wait([self = self()](beast::error_code ec) {
      if (ec == net::error::operation_aborted) return;
      self->watchdog_armed_ = false;
      self->on_watchdog();
    });
  }

  void on_watchdog() {
    if (closed_) return;
    auto now = clock::now();
    if (now >= write_deadline_) {
      state_->stats->slow_reader_closed();
      spdlog::info("connection from {} closed: its answers were not taken in time", remote_);
      return close_now();
    }
    if (now >= read_deadline_ && reading_body_) return body_timed_out();
    if (now >= read_deadline_) return close_now();
    // Idle means no answer is outstanding, so a slow handler keeps its connection.
    if (idle() && now >= idle_since_ + state_->settings.idle_timeout) return close_now();
    watch();
  }

  void do_read_header() {
    // The header deadline bounds slow-loris clients that trickle a header forever.
    read_deadline(state_->settings.header_timeout);
    beast::http::async_read_header(derived().stream(), buffer_, *parser_,
                                   beast::bind_front_handler(&http_session::on_header, self()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    read_deadline_ = never;
    if (closing_) return after_read_cancelled();
    if (ec) return on_read_error(ec);
    first_request_ = false;
    // A body whose end the header does not give is refused, never read as the next request.
    if (!has_reliable_length(*parser_))
      return on_read_error(beast::http::error::bad_transfer_encoding);
    auto expect = parser_->get()[beast::http::field::expect];
    if (!expect.empty() && !beast::iequals(expect, "100-continue")) {
      reading_ = false;
      read_stopped_ = true;
      return reject(beast::http::status::expectation_failed, "Expectation Failed",
                    "the only expectation understood is Expect: 100-continue");
    }
    if (parser_->is_done()) return on_read({}, 0);
    if (!expect.empty() && buffer_.size() == 0 && queue_.empty() && !writing_) return do_continue();
    do_read_body();
  }

  void do_continue() {
    // The client holds the body back until it hears this interim answer (curl does so
    // for bodies over 1 KiB). It may only go out when no earlier answer is pending; when
    // one is, the client sends the body after its own short wait anyway.
    static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    writing_ = true;
    write_deadline(state_->settings.header_timeout);
    net::async_write(derived().stream(), net::buffer(interim.data(), interim.size()),
                     beast::bind_front_handler(&http_session::on_continue, self()));
  }

  void on_continue(beast::error_code ec, std::size_t) {
    writing_ = false;
    write_deadline_ = never;
    if (closing_) return after_read_cancelled();
    if (ec) return close_now();
    do_read_body();
  }

  void do_read_body() {
    // The body gets its own deadline: a Content-Length that promises more than is sent
    // would otherwise hold the connection for the idle timeout.
    reading_body_ = true;
    read_deadline(state_->settings.body_timeout);
    beast::http::async_read(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&http_session::on_read, self()));
  }

  /// The body did not arrive within its deadline: cancel the read, and on_read answers 408.
  void body_timed_out() {
    read_deadline_ = never;
    body_late_ = true;
    beast::error_code ignored;
    lowest().cancel(ignored);
  }

  void on_read(beast::error_code ec, std::size_t) {
    read_deadline_ = never;
    reading_body_ = false;
    if (closing_) return after_read_cancelled();
    if (body_late_) {
      reading_ = false;
      read_stopped_ = true;
      return reject(beast::http::status::request_timeout, "Request Timeout",
                    "the request body did not arrive within " +
                        std::to_string(state_->settings.body_timeout.count()) + " ms");
    }
    if (ec) return on_read_error(ec);
    reading_ = false;
    bool keep_alive = parser_->get().keep_alive();
    handle_request(parser_->release());
    parser_.reset();
    if (!keep_alive) {
      // The client said this is its last request: anything after it is not read.
      read_stopped_ = true;
      return;
    }
    // Read the next request while this one is handled: that is what lets pipelined
    // requests proceed in parallel, up to pipeline_limit.
    do_read();
  }

  void on_read_error(beast::error_code ec) {
    reading_ = false;
    read_stopped_ = true;
    // Whether it half-closed or left, nothing it asks from now on will be read; a long poll
    // still pending learns so (`request_context::client_gone`).
    peer_gone_->store(true, std::memory_order_relaxed);
    namespace bh = beast::http;
    if (ec == bh::error::end_of_stream || ec == bh::error::partial_message ||
        ec == net::error::eof) {
      // The client finished sending; answer what it already asked for, then close.
      return maybe_finish();
    }
    if (ec == beast::error::timeout || ec == net::error::operation_aborted)
      return close_now();  // the socket is already closed, no answer can be written
    if (ec == bh::error::header_limit)
      return reject(bh::status::request_header_fields_too_large, "Request Header Fields Too Large",
                    "the request header is larger than " +
                        std::to_string(state_->settings.header_limit) + " bytes");
    if (ec == bh::error::body_limit)
      return reject(bh::status::payload_too_large, "Content Too Large",
                    "the request body is larger than " +
                        std::to_string(state_->settings.body_limit) + " bytes");
    if (is_http_parse_error(ec))
      return reject(bh::status::bad_request, "Bad Request",
                    "malformed HTTP request: " + ec.message());
    close_now();  // a transport error: nobody is listening any more
  }

  /// Answers a request that could not be read, after the answers already queued, then
  /// closes: the rest of the byte stream cannot be trusted to start at a request.
  void reject(beast::http::status status, std::string_view title, std::string detail) {
    slot s;
    s.received = clock::now();
    s.route = unmatched_route;
    s.close_after = true;
    if (parser_ && parser_->is_header_done()) {
      const auto& req = parser_->get();
      s.version = req.version();
      s.method = req.method();
      s.request_id = request_id_for(req);
    } else {
      s.request_id = request_id_for(std::string_view{});
    }
    parser_.reset();
    auto seq = front_seq_ + queue_.size();
    queue_.push_back(std::move(s));
    on_response(seq, problem(status, title, detail));
  }

  void handle_request(request req) {
    slot s;
    s.received = clock::now();
    s.version = req.version();
    s.method = req.method();
    s.keep_alive = req.keep_alive();
    s.request_id = request_id_for(req);

    request_context ctx;
    ctx.request_id = s.request_id;
    ctx.remote_address = remote_;
    ctx.received = s.received;
    ctx.peer_gone = peer_gone_;
    ctx.req = std::move(req);

    response error;
    auto found = state_->routes->resolve(ctx, error);
    s.route = found.target ? found.route : unmatched_route;
    auto seq = front_seq_ + queue_.size();
    queue_.push_back(std::move(s));
    if (!found.target) return on_response(seq, std::move(error));

    auto reply =
        std::make_shared<reply_state>(state_->contexts[context_].lock(), shared_from_this(), seq);
    std::string_view request_id = queue_.back().request_id;
    try {
      (*found.target)(std::move(ctx), [reply](response res) { reply->answer(std::move(res)); });
    } catch (const std::exception& e) {
      spdlog::error("request {}: handler for {} threw: {}", request_id, found.route, e.what());
      reply->answer(
          problem(beast::http::status::internal_server_error, "Internal Server Error",
                  "the request failed; see the server log for request " + std::string{request_id}));
    } catch (...) {
      spdlog::error("request {}: handler for {} threw a non-exception", request_id, found.route);
      reply->answer(
          problem(beast::http::status::internal_server_error, "Internal Server Error",
                  "the request failed; see the server log for request " + std::string{request_id}));
    }
  }

  void on_response(std::uint64_t seq, response res) {
    if (closed_ || seq < front_seq_ || seq - front_seq_ >= queue_.size()) return;
    auto& s = queue_[seq - front_seq_];
    if (s.res) return;
    finalize(s, res);
    s.res = std::move(res);
    count_buffered(s);
    // A write already waiting on this client gets the shorter allowance once it holds too
    // much: the new answer cannot go out before it.
    if (writing_ && over_buffer()) {
      write_deadline_ = std::min(write_deadline_, clock::now() + state_->settings.drain_timeout);
      watch();
    }
    do_write();
  }

  struct slot {
    std::optional<response> res;
    std::optional<std::uint64_t> content_length;  ///< none for answers without a body
    std::string request_id;
    std::string_view route;
    clock::time_point received;
    beast::http::verb method = beast::http::verb::unknown;
    unsigned version = 11;
    std::size_t buffered = 0;  ///< bytes counted in buffered_ while the answer waits
    bool keep_alive = true;
    bool close_after = false;
  };

  void count_buffered(slot& s) {
    // The body plus a typical header: what the queue holds until the answer is written.
    s.buffered = s.res->body().size() + 256;
    buffered_ += s.buffered;
    state_->stats->add_buffered_answer_bytes(static_cast<std::int64_t>(s.buffered));
  }

  void uncount_buffered(slot& s) {
    buffered_ -= s.buffered;
    state_->stats->add_buffered_answer_bytes(-static_cast<std::int64_t>(s.buffered));
    s.buffered = 0;
  }

  /// Decides what the server owns in every answer: version, keep-alive, and a payload
  /// consistent with the method and status (`Server`, `X-Request-Id` and the length are
  /// written with the header); and counts it.
  void finalize(slot& s, response& res) {
    namespace bh = beast::http;
    auto status = res.result_int();
    state_->stats->record(s.route, status, clock::now() - s.received);
    if (status >= 500)
      spdlog::warn("request {}: {} {} answered {}", s.request_id, bh::to_string(s.method), s.route,
                   status);

    // A refusal for a passing cause (storage unavailable or full, shutting down, no owner)
    // always tells the client when to come back, whichever front end's format it is in.
    if ((status == 503 || status == 507) && res[bh::field::retry_after].empty())
      res.set(bh::field::retry_after, "1");

    bool handler_closes = bh::token_list{res[bh::field::connection]}.exists("close");
    bool keep = s.keep_alive && !s.close_after && !handler_closes && !stopping_;
    if (!keep) s.close_after = true;
    res.version(s.version);
    res.keep_alive(keep);

    bool no_body = (status >= 100 && status < 200) || status == 204 || status == 304;
    if (no_body) {
      res.body().clear();
      s.content_length.reset();
    } else if (s.method == bh::verb::head) {
      // HEAD announces the GET answer's length but sends no body.
      s.content_length = declared_length(res).value_or(res.body().size());
      res.body().clear();
    } else {
      s.content_length = res.body().size();
    }
  }

  /// The Content-Length a handler set itself, if it is a number.
  static std::optional<std::uint64_t> declared_length(const response& res) {
    auto text = res[beast::http::field::content_length];
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
  }

  /// Answers that are ready are written together: a client that pipelines gets the answers
  /// its batch completed in one send, not one send (and one wake-up of its reader) each.
  /// The write is started from a posted handler, so the answers other threads posted to
  /// this connection meanwhile (a group commit acknowledges many at once) are already in
  /// their slots when it gathers.
  void do_write() {
    if (write_posted_ || writing_ || closing_ || queue_.empty() || !queue_.front().res) return;
    write_posted_ = true;
    net::post(derived().stream().get_executor(), [self = self()] {
      self->write_posted_ = false;
      self->write_ready();
    });
  }

  static constexpr std::size_t max_answers_per_write = 16;

  void write_ready() {
    if (writing_ || closing_ || queue_.empty() || !queue_.front().res) return;
    writing_ = true;
    header_.clear();
    header_ends_.clear();
    // Gather the ready answers at the front, up to and including one that closes.
    for (auto& s : queue_) {
      if (!s.res || header_ends_.size() == max_answers_per_write) break;
      append_response_header(header_, *s.res, s.request_id, s.content_length);
      header_ends_.push_back(header_.size());
      if (s.close_after) break;
    }
    write_buffers_.clear();
    std::size_t begin = 0;
    for (std::size_t i = 0; i < header_ends_.size(); ++i) {
      write_buffers_.push_back(net::buffer(header_.data() + begin, header_ends_[i] - begin));
      const auto& body = queue_[i].res->body();
      if (!body.empty()) write_buffers_.push_back(net::buffer(body));
      begin = header_ends_[i];
    }
    // A client that stops reading its answers is cut off (see write_allowance).
    write_deadline(write_allowance());
    net::async_write(derived().stream(), write_buffers_,
                     beast::bind_front_handler(&http_session::on_write, self()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    write_deadline_ = never;
    if (ec) return close_now();
    bool close = false;
    for (std::size_t i = 0; i < header_ends_.size(); ++i) {
      close = queue_.front().close_after;
      uncount_buffered(queue_.front());
      queue_.pop_front();
      ++front_seq_;
    }
    if (close) return do_close();
    if (read_paused_ && may_read_more()) {
      read_paused_ = false;
      do_read();
    }
    do_write();
    maybe_finish();
    if (idle()) {
      idle_since_ = clock::now();
      watch();
    }
  }

  /// Closes once every answer owed is written, when no more requests will come.
  void maybe_finish() {
    if ((read_stopped_ || stopping_) && queue_.empty() && !writing_) do_close();
  }

  void on_shutdown() {
    stopping_ = true;
    if (queue_.empty() && !writing_) do_close();
  }

  /// The graceful close: stop reading, then let the derived session end its stream.
  void do_close() {
    if (closing_ || closed_) return;
    closing_ = true;
    if (reading_) {
      // A read is pending; cancel it, and its handler continues in after_read_cancelled.
      // No write is pending here, so cancelling cannot lose an answer.
      beast::error_code ignored;
      lowest().cancel(ignored);
      return;
    }
    derived().do_eof();
  }

  void after_read_cancelled() {
    reading_ = false;
    waiting_ = false;
    derived().do_eof();
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    peer_gone_->store(true, std::memory_order_relaxed);
    closing_ = true;
    watchdog_.cancel();
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
    queue_.clear();
    release_buffered();
    if (entered_) state_->leave(this);
  }

  template <class Request>
  std::string request_id_for(const Request& req) {
    if constexpr (std::is_same_v<Request, std::string_view>) {
      return make_request_id(state_->id_seed, session_id_, request_count_++);
    } else {
      auto given = req["X-Request-Id"];
      if (usable_request_id({given.data(), given.size()})) return std::string{given};
      return make_request_id(state_->id_seed, session_id_, request_count_++);
    }
  }

  std::shared_ptr<server_state> state_;
  std::string remote_;
  std::size_t context_;  ///< index of the io_context this connection runs on
  std::uint64_t session_id_;
  std::uint64_t request_count_ = 0;
  beast::flat_buffer buffer_;
  std::string header_;                    ///< the headers of the answers being written; reused
  std::vector<std::size_t> header_ends_;  ///< where each answer's header ends in header_
  std::vector<net::const_buffer> write_buffers_;  ///< header, body, header, body, ...
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::deque<slot> queue_;
  std::uint64_t front_seq_ = 0;  ///< request number of queue_.front()
  net::steady_timer watchdog_;
  clock::time_point watchdog_due_;
  clock::time_point read_deadline_ = never;
  clock::time_point write_deadline_ = never;
  clock::time_point idle_since_;
  bool watchdog_armed_ = false;
  bool entered_ = false;
  bool first_request_ = true;
  bool reading_ = false;
  bool waiting_ = false;
  std::size_t buffered_ = 0;  ///< bytes of answers ready but not yet written
  bool read_paused_ = false;
  bool reading_body_ = false;
  bool body_late_ = false;  ///< the body deadline passed; the read was cancelled
  bool read_stopped_ = false;
  bool writing_ = false;
  bool write_posted_ = false;  ///< a write_ready is posted and has not run yet
  bool stopping_ = false;
  bool closing_ = false;
  bool closed_ = false;
  /// Shared with every request it read (`request_context::peer_gone`).
  std::shared_ptr<std::atomic<bool>> peer_gone_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace baton::http
