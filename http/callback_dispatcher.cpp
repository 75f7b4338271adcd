#include "http/callback_dispatcher.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "http/outgoing_client.hpp"
#include "http/process_json.hpp"
#include "storage/record_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::http {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds max_backoff{300'000};
}  // namespace

std::string callback_header_problem(std::string_view name, std::string_view value) {
  if (auto why = header_problem(name, value); !why.empty()) return why;
  static constexpr std::string_view reserved[] = {
      "host", "content-length", "transfer-encoding", "connection", "content-type",
      "idempotency-key", "te", "trailer", "upgrade", "keep-alive", "proxy-connection"};
  for (auto r : reserved) {
    if (boost::beast::iequals(name, r)) return "is set by Baton itself";
  }
  return {};
}

std::string callback_url_problem(std::string_view url, const allow_list& allowed) {
  auto target = parse_target(url);
  const auto* t = std::get_if<url_target>(&target);
  if (!t) return "must be an absolute http or https URL";
  if (auto why = allowed.refusal(*t); !why.empty()) return why + " (outgoing.allow_hosts)";
  return {};
}

/// All state lives on `io`'s one thread; outgoing answers are posted back to it.
struct callback_dispatcher::impl : std::enable_shared_from_this<impl> {
  storage::process_store& store;
  actors::delegate_client& client;
  config::outgoing_settings settings;
  std::map<std::string, callback_renderer, std::less<>> formats;

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};

  /// One owed callback; `ends` is learnt when it is first sent (its snapshot is terminal).
  struct entry {
    std::string key;
    bool ends = false;
    int attempt = 1;  ///< the try its next send is
  };
  std::map<std::string, std::deque<entry>> queues;  ///< process id → entries, in order
  std::set<std::string> known;                             ///< keys queued or out
  /// Processes whose oldest entry may go out but waits for one of the
  /// `callback_max_in_flight` slots, in the order they became due.
  std::deque<std::string> waiting_for_slot;
  std::size_t in_flight = 0;
  std::minstd_rand jitter{std::random_device{}()};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> given_up{0};

  impl(storage::process_store& s, actors::delegate_client& c, config::outgoing_settings o)
      : store(s), client(c), settings(std::move(o)) {}

  void enqueue(std::string key) {
    if (stopped || !known.insert(key).second) return;
    auto process_id = std::string(storage::process_store::process_of_outbox_key(key));
    auto& queue = queues[process_id];
    queue.push_back({std::move(key)});
    if (queue.size() == 1) due_now(process_id);  // otherwise it waits for the one ahead
  }

  /// The oldest callback of `process_id` may go out: now, or when a slot frees.
  void due_now(const std::string& process_id) {
    if (in_flight < settings.callback_max_in_flight) return send(process_id);
    waiting_for_slot.push_back(process_id);
  }

  /// A call came back: its slot goes to the process that waited longest.
  void release_slot() {
    --in_flight;
    while (!waiting_for_slot.empty() && in_flight < settings.callback_max_in_flight) {
      auto process_id = std::move(waiting_for_slot.front());
      waiting_for_slot.pop_front();
      if (queues.count(process_id)) send(process_id);
    }
  }

  /// Sends the oldest callback of `process_id`.
  void send(const std::string& process_id) {
    if (stopped) return;
    auto& front = queues[process_id].front();
    auto attempt = front.attempt;
    const auto& key = front.key;
    auto stored_snapshot = store.outbox_raw(key);
    auto stored_target = store.callback(process_id);
    if (!stored_snapshot.ok() || !stored_target.ok()) {
      // Not readable now is not gone: it counts as a failed try and is tried again later.
      const auto& failed =
          stored_snapshot.ok() ? stored_target.error() : stored_snapshot.error();
      spdlog::warn("callback {}: cannot read it: {}", key, failed.describe());
      actors::outgoing_response unread;
      unread.error = "the outbox could not be read";
      return settle(process_id, key, attempt, unread);
    }
    const auto& snapshot = stored_snapshot.value();
    const auto& target = stored_target.value();
    auto state = snapshot ? storage::decode_process(*snapshot) : std::nullopt;
    if (!snapshot) return next(process_id);  // delivered already (a late duplicate signal)
    if (!target || !state) {
      spdlog::warn("callback {}: no target or unreadable snapshot; dropped", key);
      return finish(process_id, /*delivered=*/false);
    }
    front.ends = model::is_terminal(state->status);
    actors::outgoing_request req;
    req.method = "POST";
    req.url = target->url;
    req.headers = target->headers;
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("Idempotency-Key", key.substr(2));
    try {
      auto format = formats.find(target->format);
      req.body = format != formats.end() ? format->second(*state) : process_json(*state);
    } catch (const std::exception& e) {  // a renderer must not take the delivery thread down
      spdlog::warn("callback {}: cannot render ({}); dropped", key, e.what());
      return finish(process_id, false);
    }
    req.timeout = settings.default_timeout;
    ++in_flight;
    // Weak: a handler left in a stopped io_context must not keep its owner alive.
    client.call(std::move(req), [weak = weak_from_this(), process_id, key,
                                 attempt](actors::outgoing_response r) {
      auto self = weak.lock();
      if (!self || self->stopped) return;
      asio::post(self->io, [weak, process_id, key, attempt, r = std::move(r)] {
        if (auto self = weak.lock()) self->answered(process_id, key, attempt, r);
      });
    });
  }

  void answered(const std::string& process_id, const std::string& key, int attempt,
                const actors::outgoing_response& r) {
    if (stopped) return;
    settle(process_id, key, attempt, r);
    release_slot();
  }

  void settle(const std::string& process_id, const std::string& key, int attempt,
              const actors::outgoing_response& r) {
    auto queue = queues.find(process_id);
    // Only the entry that was sent may be settled by its answer.
    if (queue == queues.end() || queue->second.front().key != key) return;
    if (r.error.empty() && r.status >= 200 && r.status < 300) return finish(process_id, true);
    auto why = r.error.empty() ? "status " + std::to_string(r.status) : r.error;
    if (attempt >= static_cast<int>(settings.callback_attempts)) {
      spdlog::warn("callback {}: given up after {} tries ({})", key, attempt, why);
      return finish(process_id, false);
    }
    queue->second.front().attempt = attempt + 1;
    auto delay = backoff(attempt);
    spdlog::info("callback {}: try {} failed ({}); again in {} ms", key, attempt, why,
                 delay.count());
    auto timer = std::make_shared<asio::steady_timer>(io, delay);
    timer->async_wait([weak = weak_from_this(), timer, process_id, key, attempt](auto ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto queue = self->queues.find(process_id);
      if (queue != self->queues.end() && queue->second.front().key == key) {
        self->due_now(process_id);
      }
    });
  }

  /// The wait before try `attempt + 1`: `callback_backoff` doubled per failed try, up to five
  /// minutes, spread by ±20 % so that the callbacks a receiver's outage held back do not all
  /// come back in the same instant.
  std::chrono::milliseconds backoff(int attempt) {
    auto doubled = settings.callback_backoff * (std::int64_t{1} << std::min(attempt - 1, 20));
    auto base = std::min<std::chrono::milliseconds>(max_backoff, doubled);
    std::uniform_real_distribution<double> spread(0.8, 1.2);
    return std::chrono::milliseconds(
        std::max<std::int64_t>(1, std::llround(base.count() * spread(jitter))));
  }

  /// The oldest callback of `process_id` is done with: erase it, go on with the next.
  /// Its key stays known until the erase is durable, so a late signal cannot resend it.
  void finish(const std::string& process_id, bool ok) {
    const auto& front = queues[process_id].front();
    const auto& key = front.key;
    ++(ok ? delivered : given_up);
    storage::batch b;
    store.erase_outbox(b, key);
    if (front.ends) store.erase_callback(b, process_id);  // no secret outlives its last report
    store.committer().submit(std::move(b), [weak = weak_from_this(), key](
                                               const storage::status& written) {
      // Not erased: it is sent again after a restart, which at-least-once allows.
      if (!written.ok()) spdlog::warn("callback outbox: {}", written.describe());
      if (auto self = weak.lock()) {
        asio::post(self->io, [weak, key] {
          if (auto self = weak.lock()) self->known.erase(key);
        });
      }
    });
    pop(process_id, /*forget=*/false);
  }

  /// Drops the oldest key of `process_id` without a word (it is no longer in the outbox).
  void next(const std::string& process_id) { pop(process_id, /*forget=*/true); }

  void pop(const std::string& process_id, bool forget) {
    auto& queue = queues[process_id];
    if (forget) known.erase(queue.front().key);
    queue.pop_front();
    if (!queue.empty()) return due_now(process_id);
    queues.erase(process_id);
  }
};

callback_dispatcher::callback_dispatcher(storage::process_store& store,
                                         actors::delegate_client& client,
                                         config::outgoing_settings settings)
    : impl_(std::make_shared<impl>(store, client, std::move(settings))) {}

callback_dispatcher::~callback_dispatcher() { stop(); }

void callback_dispatcher::add_format(std::string format, callback_renderer render) {
  impl_->formats[std::move(format)] = std::move(render);
}

void callback_dispatcher::start() {
  impl_->thread = std::thread([i = impl_.get()] { i->io.run(); });
  asio::post(impl_->io, [weak = std::weak_ptr(impl_)] {
    auto i = weak.lock();
    if (!i) return;
    // From here on signals are queued behind this scan; one ignored before was durable
    // before this point, so the scan below reads it.
    i->started = true;
    std::vector<std::string> pending;
    auto scanned = i->store.for_each_outbox([&](std::string_view key, std::string_view) {
      pending.emplace_back(key);
    });
    if (!scanned.ok()) {
      spdlog::error("callback outbox: cannot read it all ({}); the rest goes after a restart",
                    scanned.describe());
    }
    for (auto& key : pending) i->enqueue(std::move(key));
  });
}

void callback_dispatcher::due(std::string outbox_key) {
  // Before the startup scan runs, the scan finds the entry itself; queued ahead of it, the
  // entry could overtake an older one of the same process.
  if (!impl_->started) return;
  asio::post(impl_->io, [weak = std::weak_ptr(impl_), key = std::move(outbox_key)]() mutable {
    if (auto i = weak.lock()) i->enqueue(std::move(key));
  });
}

void callback_dispatcher::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint64_t callback_dispatcher::delivered() const { return impl_->delivered; }
std::uint64_t callback_dispatcher::given_up() const { return impl_->given_up; }

}  // namespace baton::http
