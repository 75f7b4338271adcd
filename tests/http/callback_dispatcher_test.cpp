#include "http/callback_dispatcher.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace {

/// A delegate client that answers each call on a thread of its own with `answer(call index)`.
class scripted_client : public actors::delegate_client {
public:
  explicit scripted_client(std::function<actors::outgoing_response(std::size_t)> answer)
      : answer_(std::move(answer)) {}
  ~scripted_client() override {
    for (auto& t : threads_) t.join();
  }

  void call(actors::outgoing_request request, callback done) override {
    std::lock_guard lock(mutex_);
    auto index = calls_.size();
    calls_.push_back(std::move(request));
    most_out_ = std::max(most_out_, ++out_);
    changed_.notify_all();
    threads_.emplace_back([this, index, done = std::move(done)] {
      auto answer = answer_(index);
      {
        // No longer out before the dispatcher hears of it: the dispatcher frees its slot
        // only later, so `most_out` never counts more calls than it had out at once.
        std::lock_guard l(mutex_);
        --out_;
      }
      done(std::move(answer));
      std::lock_guard l(mutex_);
      ++answered_;
      changed_.notify_all();
    });
  }

  /// Waits (5 s at most) until `n` calls were answered; @returns the calls made.
  std::vector<actors::outgoing_request> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return answered_ >= n; });
    return calls_;
  }

  /// Waits (5 s at most) until `n` calls were made, answered or not.
  void wait_made(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return calls_.size() >= n; });
  }

  /// The request of call `index`, which was made.
  actors::outgoing_request request(std::size_t index) {
    std::lock_guard lock(mutex_);
    return calls_.at(index);
  }

  /// The most calls that were out (made, not yet answered) at one moment.
  std::size_t most_out() {
    std::lock_guard lock(mutex_);
    return most_out_;
  }

private:
  std::function<actors::outgoing_response(std::size_t)> answer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<actors::outgoing_request> calls_;
  std::size_t answered_ = 0;
  std::size_t out_ = 0;
  std::size_t most_out_ = 0;
  std::vector<std::thread> threads_;
};

actors::outgoing_response status(int s) { return {s, "", ""}; }

/// Stores a callback target for `process_id` and one outbox entry per status, in order.
std::vector<std::string> owe(storage::process_store& store, const std::string& process_id,
                             std::vector<model::process_status> statuses) {
  storage::batch b;
  store.put_callback(b, process_id, {"http://hooks.test/cb", {{"x-api-key", "k"}}, "test"});
  std::vector<std::string> keys;
  std::uint64_t seq = 0;
  for (auto s : statuses) {
    model::process_state p;
    p.id = process_id;
    p.status = s;
    keys.push_back(store.put_outbox(b, process_id, ++seq, storage::encode_process(p)));
  }
  REQUIRE(commit(store, std::move(b)).empty());
  return keys;
}

std::size_t outbox_size(storage::process_store& store) {
  std::size_t n = 0;
  REQUIRE(store.for_each_outbox([&](std::string_view, std::string_view) { ++n; }).ok());
  return n;
}

config::outgoing_settings quick(std::size_t attempts) {
  config::outgoing_settings s;
  s.callback_attempts = attempts;
  s.callback_backoff = std::chrono::milliseconds(1);
  return s;
}

/// The body the "test" format renders: the status name.
std::string status_body(const model::process_state& p) {
  return std::string(model::to_string(p.status));
}

/// Waits (5 s at most) until the outbox is empty.
void wait_drained(storage::process_store& store) {
  for (int i = 0; i < 500 && outbox_size(store) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TEST_CASE("callbacks go out in order per process, retried until answered 2xx", "[http][callback]") {
  temp_dir dir;
  auto store = open_store(dir);
  auto keys = owe(*store, "p1", {model::process_status::running, model::process_status::succeeded});
  // The first two tries fail (transport error, then 503); everything after is accepted.
  scripted_client client([](std::size_t i) {
    if (i == 0) return actors::outgoing_response{0, "", "connect: refused"};
    return status(i == 1 ? 503 : 200);
  });
  http::callback_dispatcher dispatcher(*store, client, quick(5));
  dispatcher.add_format("test", status_body);
  dispatcher.start();
  auto calls = client.wait_for(4);
  REQUIRE(calls.size() == 4);
  CHECK(calls[0].body == "RUNNING");
  CHECK(calls[1].body == "RUNNING");
  CHECK(calls[2].body == "RUNNING");
  CHECK(calls[3].body == "SUCCEEDED");  // never before the report ahead of it
  for (const auto& c : calls) {
    CHECK(c.url == "http://hooks.test/cb");
    CHECK(std::count(c.headers.begin(), c.headers.end(), std::pair<std::string, std::string>{"x-api-key", "k"}) == 1);
  }
  wait_drained(*store);
  CHECK(outbox_size(*store) == 0);
  CHECK(dispatcher.delivered() == 2);
  CHECK(dispatcher.given_up() == 0);
  // The end was reported: the target and its secret are gone with it.
  for (int i = 0; i < 500 && store->callback("p1").value(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK_FALSE(store->callback("p1").value());
}

TEST_CASE("a callback is given up after its attempts and the next one goes on", "[http][callback]") {
  temp_dir dir;
  auto store = open_store(dir);
  owe(*store, "p1", {model::process_status::running, model::process_status::failed});
  scripted_client client([](std::size_t i) { return status(i < 3 ? 500 : 204); });
  http::callback_dispatcher dispatcher(*store, client, quick(3));
  dispatcher.add_format("test", status_body);
  dispatcher.start();
  auto calls = client.wait_for(4);
  REQUIRE(calls.size() == 4);
  CHECK(calls[2].body == "RUNNING");
  CHECK(calls[3].body == "FAILED");
  wait_drained(*store);
  CHECK(dispatcher.given_up() == 1);
  CHECK(dispatcher.delivered() == 1);
}

TEST_CASE("callbacks signalled while running and those found at start are each sent once",
          "[http][callback]") {
  temp_dir dir;
  auto store = open_store(dir);
  auto early = owe(*store, "p1", {model::process_status::succeeded});
  scripted_client client([](std::size_t) { return status(200); });
  http::callback_dispatcher dispatcher(*store, client, quick(3));
  dispatcher.add_format("test", status_body);
  dispatcher.due(early[0]);  // signalled and in the outbox: one call
  dispatcher.start();
  auto late = owe(*store, "p2", {model::process_status::cancelled});
  dispatcher.due(late[0]);
  auto calls = client.wait_for(2);
  REQUIRE(calls.size() == 2);
  wait_drained(*store);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(client.wait_for(2).size() == 2);
  CHECK(dispatcher.delivered() == 2);
}

TEST_CASE("a stopped dispatcher leaves what it did not deliver for the next start",
          "[http][callback]") {
  temp_dir dir;
  auto store = open_store(dir);
  owe(*store, "p1", {model::process_status::succeeded});
  {
    scripted_client refusing([](std::size_t) { return status(503); });
    http::callback_dispatcher dispatcher(*store, refusing, quick(1000));
    dispatcher.add_format("test", status_body);
    dispatcher.start();
    refusing.wait_for(1);
    dispatcher.stop();
  }
  CHECK(outbox_size(*store) == 1);
  scripted_client accepting([](std::size_t) { return status(200); });
  http::callback_dispatcher dispatcher(*store, accepting, quick(3));
  dispatcher.add_format("test", status_body);
  dispatcher.start();
  CHECK(accepting.wait_for(1).size() == 1);
  wait_drained(*store);
  CHECK(outbox_size(*store) == 0);
}

TEST_CASE("no more callbacks are out at once than callback_max_in_flight", "[http][callback]") {
  temp_dir dir;
  auto store = open_store(dir);
  constexpr int processes = 12;
  for (int i = 0; i < processes; ++i) {
    owe(*store, "p" + std::to_string(i),
        {model::process_status::running, model::process_status::succeeded});
  }
  // Which tries fail is decided by the callback, never by the order in which calls happen
  // to arrive: a rule on the call index let one callback draw five failures in a row under
  // load and be given up. The first try of the first callback of every third process fails
  // once, so retries compete for the slots, and all are delivered however threads interleave.
  std::mutex mutex;
  std::set<std::string> tried;
  scripted_client client([&](std::size_t i) {
    auto headers = client.request(i).headers;
    auto key = std::find_if(headers.begin(), headers.end(), [](const auto& h) {
                 return h.first == "Idempotency-Key";
               })->second;  // "p<N>/<seq as 16 hex digits>"
    // Both slots are free at start, so the first two calls go out together: the first is
    // answered only once the second was made, so a dispatcher that uses its cap is seen to.
    if (i == 0) client.wait_made(2);
    std::lock_guard lock(mutex);
    bool first_try = tried.insert(key).second;
    bool fails_once = key.ends_with("/0000000000000001") && std::stoi(key.substr(1)) % 3 == 0;
    return status(first_try && fails_once ? 503 : 200);
  });
  auto settings = quick(5);
  settings.callback_max_in_flight = 2;
  http::callback_dispatcher dispatcher(*store, client, settings);
  dispatcher.add_format("test", status_body);
  dispatcher.start();
  wait_drained(*store);
  CHECK(outbox_size(*store) == 0);
  CHECK(dispatcher.delivered() == 2 * processes);
  CHECK(dispatcher.given_up() == 0);
  constexpr std::size_t failed_tries = 4;  // p0, p3, p6, p9
  CHECK(client.wait_for(2 * processes + failed_tries).size() == 2 * processes + failed_tries);
  CHECK(client.most_out() <= 2);
  CHECK(client.most_out() == 2);  // and the cap is used, not just respected
}
