#pragma once

// A TCP socket whose reads skip the receive that can only fail.
//
// Asio starts every read with a speculative recv(). On a keep-alive connection whose client
// sends one request at a time, the read that follows an answer finds nothing: recv()
// returns EAGAIN, and only then does the read wait for epoll. That empty recv() was one
// syscall in three per request (perf tracepoints, status GETs at 64 connections), and on
// this paravirtualized VM a syscall is the dearest thing a request does.
//
// The kernel says when a read has emptied the receive queue: with TCP_INQ set, each
// recvmsg() carries the bytes still queued (tcp(7)); after the peer's FIN it says 1, and
// bytes past an urgent mark count too, so "0" means nothing is left to read, not even the
// end of the stream. Such a read is reported to Asio's reactor as `done_and_exhausted`, as
// Asio already does for a short write. The reactor then starts the next read by waiting for
// the next epoll edge, with no recv() and no epoll_ctl(); any data or FIN that arrives
// later raises a new edge, which re-enables the speculative recv() under the same
// descriptor lock. Pipelined requests, which are queued when the read returns, still go
// straight to recv(). (A short read alone is not proof: a request and its FIN can arrive
// under one edge, and a read that stopped short of the FIN would then wait for an edge that
// never comes, holding a half-closed connection until the idle timeout.) Where TCP_INQ is
// unknown the count is missing and every read stays speculative, as in plain Asio.
//
// This reaches into Asio's reactor (detail::), whose shape is fixed per Boost release; the
// version check below makes an upgrade look at it again.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/version.hpp>
#include <cerrno>
#include <cstring>
#include <type_traits>
#include <utility>

#if BOOST_VERSION / 100 != 1081
#error \
    "drain_tracking_socket follows the epoll reactor of Boost.Asio 1.81: check it against this Boost"
#endif
#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "drain_tracking_socket needs Asio's epoll reactor"
#endif

namespace baton::http {

namespace drain_detail {

namespace adetail = boost::asio::detail;

/// Asio's reactive_socket_recv_op for one buffer, except that a short read tells the
/// reactor the receive queue is empty.
template <class Handler, class IoExecutor>
class recv_op : public adetail::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(recv_op);

  recv_op(adetail::socket_type socket, boost::asio::mutable_buffer buffer, Handler& handler,
          const IoExecutor& io_ex)
      : reactor_op(boost::system::error_code(), &recv_op::do_perform, &recv_op::do_complete),
        socket_(socket),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<recv_op*>(base);
    iovec iov{o->buffer_.data(), o->buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(o->socket_, &msg, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return not_done;
    // Errors and the end of the stream transfer nothing, and are exhausted too.
    if (n <= 0) {
      o->bytes_transferred_ = 0;
      o->ec_ = n == 0 ? boost::system::error_code(boost::asio::error::eof)
                      : boost::system::error_code(errno, boost::asio::error::get_system_category());
      return done_and_exhausted;
    }
    o->bytes_transferred_ = static_cast<std::size_t>(n);
    o->ec_ = {};
    return queued_after(msg) == 0 ? done_and_exhausted : done;
  }

  /// The TCP_CM_INQ count of bytes still queued that recvmsg() attached, or -1 without one.
  static int queued_after(msghdr& msg) {
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ) {
        int queued;
        std::memcpy(&queued, CMSG_DATA(c), sizeof queued);
        return queued;
      }
    }
    return -1;
  }

  // As reactive_socket_recv_op::do_complete: `owner` is null when the io_context is
  // destroyed with the read pending, and then the handler is freed without a call.
  static void do_complete(void* owner, adetail::operation* base, const boost::system::error_code&,
                          std::size_t) {
    auto* o = static_cast<recv_op*>(base);
    ptr p = {boost::asio::detail::addressof(o->handler_), o, o};
    adetail::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // The handler may own the op's memory: free it from a copy, then call the copy.
    adetail::binder2<Handler, boost::system::error_code, std::size_t> handler(
        o->handler_, o->ec_, o->bytes_transferred_);
    p.h = boost::asio::detail::addressof(handler.handler_);
    p.reset();
    if (owner) {
      adetail::fenced_block b(adetail::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  adetail::socket_type socket_;
  boost::asio::mutable_buffer buffer_;
  Handler handler_;
  adetail::handler_work<Handler, IoExecutor> work_;
};

}  // namespace drain_detail

/// A `tcp::socket` whose `async_read_some` does not try a recv() after a read that emptied
/// the receive queue (by the kernel's count), until epoll reports new data (see the top of this
/// file). Everything else is the plain socket's. Reads take one contiguous buffer and a completion
/// handler (not a token): what Beast's reads and the session pass. `cancel()` and `close()` end a
/// pending read as usual; per-operation cancellation slots are not connected, and nothing
/// here emits on one.
class drain_tracking_socket : public boost::asio::ip::tcp::socket {
 public:
  explicit drain_tracking_socket(boost::asio::ip::tcp::socket&& socket)
      : boost::asio::ip::tcp::socket(std::move(socket)) {}

  template <class MutableBuffer, class Handler>
  void async_read_some(const MutableBuffer& buffers, Handler&& handler) {
    static_assert(std::is_convertible_v<MutableBuffer, boost::asio::mutable_buffer>,
                  "one contiguous buffer");
    namespace adetail = boost::asio::detail;
    using handler_type = std::decay_t<Handler>;
    using executor_type = boost::asio::ip::tcp::socket::executor_type;
    using op = drain_detail::recv_op<handler_type, executor_type>;

    boost::asio::mutable_buffer buffer(buffers);
    auto& impl = impl_.get_implementation();
    boost::system::error_code ec;
    if (buffer.size() == 0 || impl.socket_ == adetail::invalid_socket ||
        (!(impl.state_ & adetail::socket_ops::non_blocking) &&
         !adetail::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, ec))) {
      // Nothing to read into (a zero-size recv would look like the end of the stream), a
      // closed socket, or no non-blocking mode: answer at once, as Asio does.
      if (!ec && impl.socket_ == adetail::invalid_socket) ec = boost::asio::error::bad_descriptor;
      boost::asio::post(get_executor(),
                        adetail::bind_handler(std::forward<Handler>(handler), ec, std::size_t{0}));
      return;
    }
    if (!counts_queued_) {
      // Set on the first read, when the socket is open (a client's opens at its connect):
      // reads learn how much is still queued; if the kernel refuses, they stay speculative.
      int on = 1;
      ::setsockopt(impl.socket_, SOL_TCP, TCP_INQ, &on, sizeof on);
      counts_queued_ = true;
    }
    handler_type h(std::forward<Handler>(handler));
    bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(h);
    typename op::ptr p = {boost::asio::detail::addressof(h), op::ptr::allocate(h), 0};
    p.p = new (p.v) op(impl.socket_, buffer, h, impl_.get_executor());
    if (!reactor_)
      reactor_ = &boost::asio::use_service<adetail::reactor>(
          boost::asio::query(get_executor(), boost::asio::execution::context));
    reactor_->start_op(adetail::reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                       is_continuation, true);
    p.v = p.p = 0;
  }

 private:
  boost::asio::detail::reactor* reactor_ = nullptr;  ///< the socket's io_context's, once looked up
  bool counts_queued_ = false;                       ///< TCP_INQ requested
};

}  // namespace baton::http
