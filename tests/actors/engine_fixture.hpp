#pragma once

// Runs the real engine (scheduler, scope queues, process and retry actors, RocksDB) on CAF's
// test coordinator: every actor runs on the test thread when the test says so, and time is
// virtual. CAF's own test DSL is not used (its macros crash under Catch2).
//
// The one other thread that touches the actor system is the group committer's writer: it
// answers each write by sending `persisted` to the process actor, and the test coordinator's
// job queue is not thread-safe. So the fixture runs actors only while the writer is parked
// inside a commit callback of its own (`parked_writer`): parking waits for every earlier
// callback to finish, and nothing new can be answered until the actors stopped running.

#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/engine_impl.hpp"
#include "config/settings.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"
#include "tests/storage/temp_dir.hpp"

namespace baton::testing {

/// Records outgoing calls; the test answers them (on the test thread) when it likes.
class fake_delegate final : public outgoing::delegate_client {
 public:
  void call(outgoing::outgoing_request request, callback done) override {
    std::lock_guard lock(mutex_);
    if (throws_ > 0) {
      --throws_;
      throw std::runtime_error("injected: the delegate client threw");
    }
    calls_.push_back({std::move(request), std::move(done), false});
  }
  /// The next `n` calls throw (inside the process actor that makes them) instead of going out.
  void throw_on_next_calls(int n) {
    std::lock_guard lock(mutex_);
    throws_ = n;
  }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::size_t unanswered() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& c : calls_) n += c.answered ? 0 : 1;
    return n;
  }
  outgoing::outgoing_request request(std::size_t i) const {
    std::lock_guard lock(mutex_);
    REQUIRE(i < calls_.size());
    return calls_[i].request;
  }
  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [k, v] : request(i).headers) {
      if (k == name) return v;
    }
    return {};
  }
  /// Drops the reply callbacks (they hold actor handles) before their actor system goes away;
  /// the recorded requests stay.
  void drop_callbacks() {
    std::lock_guard lock(mutex_);
    for (auto& c : calls_) c.done = nullptr;
  }
  /// Answers call `i` (once).
  void answer(std::size_t i, int status, std::string body = "{}", std::string error = {}) {
    callback done;
    {
      std::lock_guard lock(mutex_);
      REQUIRE(i < calls_.size());
      REQUIRE_FALSE(calls_[i].answered);
      calls_[i].answered = true;
      done = calls_[i].done;
    }
    done(outgoing::outgoing_response{status, std::move(body), std::move(error)});
  }

 private:
  struct recorded {
    outgoing::outgoing_request request;
    callback done;
    bool answered;
  };
  mutable std::mutex mutex_;
  std::vector<recorded> calls_;
  int throws_ = 0;
};

/// Holds the group committer's writer thread inside a callback until destroyed. Once the
/// constructor returns, every callback of an earlier submission has run (one writer thread
/// calls back in submission order), and no new one runs while this object lives.
class parked_writer {
 public:
  explicit parked_writer(storage::group_committer& committer) : gate_(std::make_shared<gate>()) {
    committer.submit(storage::batch{}, [g = gate_](const storage::status&) {
      std::unique_lock lock(g->mutex);
      g->parked = true;
      g->cv.notify_all();
      g->cv.wait(lock, [&] { return g->released; });
    });
    std::unique_lock lock(gate_->mutex);
    if (!gate_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return gate_->parked; })) {
      gate_->released = true;
      FAIL("the group committer did not reach the gate within 10 s");
    }
  }
  ~parked_writer() {
    {
      std::lock_guard lock(gate_->mutex);
      gate_->released = true;
    }
    gate_->cv.notify_all();
  }
  parked_writer(const parked_writer&) = delete;
  parked_writer& operator=(const parked_writer&) = delete;

 private:
  struct gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool parked = false;
    bool released = false;
  };
  std::shared_ptr<gate> gate_;
};

/// Answers that arrive through engine callbacks, kept alive by shared ownership because a
/// callback may run after the test stopped looking.
template <class T>
class answers {
 public:
  std::function<void(T)> callback() {
    return [s = state_](T a) {
      std::lock_guard lock(s->mutex);
      s->got.push_back(std::move(a));
    };
  }
  std::size_t count() const {
    std::lock_guard lock(state_->mutex);
    return state_->got.size();
  }
  /// The one answer; fails the test unless exactly one arrived.
  T get() const {
    std::lock_guard lock(state_->mutex);
    REQUIRE(state_->got.size() == 1);
    return state_->got.front();
  }

 private:
  struct state {
    std::mutex mutex;
    std::vector<T> got;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

/// A definition from its JSON document; fails the test when it has problems.
inline model::definition definition_of(std::string_view json) {
  auto parsed = storage::parse_definition(json);
  if (auto* problems = std::get_if<std::vector<model::definition_problem>>(&parsed)) {
    FAIL("definition rejected: " << problems->front().to_string());
  }
  return std::get<model::definition>(std::move(parsed));
}

struct engine_options {
  bool sync = false;  ///< storage durability
  std::chrono::milliseconds passivate_after{30'000};
  std::shared_ptr<storage::fault_switch> faults;  ///< fails the store's file writes on demand
  config::outgoing_settings outgoing;             ///< callback attempts, backoff, slots
  actors::callback_formats formats;               ///< callback body formats
  /// How long a woken long poll holds for more jobs (the server's default unless a test sets it).
  std::chrono::milliseconds job_activation_hold = config::engine_settings{}.job_activation_hold;
};

class engine_fixture {
 public:
  explicit engine_fixture(engine_options options = {}) : options_(options) { open(); }

  ~engine_fixture() { close(); }

  actors::engine_impl& engine() { return *engine_; }
  actors::engine_context& context() { return engine_->context(); }
  storage::process_store& store() { return *store_; }
  fake_delegate& delegates() { return delegates_; }
  /// The engine's wall clock: CAF's virtual time (so `advance` moves timers and "now"
  /// together), counted from `wall_base_ms_`, which a restart's downtime moves on.
  std::int64_t now() const {
    if (!virtual_clock_) return wall_base_ms_;
    using namespace std::chrono;
    return wall_base_ms_ +
           duration_cast<milliseconds>(virtual_clock_->current_time - virtual_origin_).count();
  }

  caf::scheduler::test_coordinator& sched() {
    return dynamic_cast<caf::scheduler::test_coordinator&>(engine_->system().scheduler());
  }

  /// Runs actors and delivers commit answers until nothing is left to do (virtual time
  /// stands still). @returns how many actor jobs ran.
  std::size_t settle() {
    std::size_t total = 0;
    for (int round = 0; round < 10'000; ++round) {
      std::size_t ran;
      {
        parked_writer parked(store_->committer());
        ran = sched().run();
      }
      if (ran == 0) return total;
      total += ran;
    }
    FAIL("the engine did not settle");
    return total;
  }

  /// Moves CAF's virtual clock, and with it the engine's wall clock, forward; fires what is
  /// due, and settles.
  void advance(std::chrono::milliseconds d) {
    {
      parked_writer parked(store_->committer());
      sched().clock().advance_time(d);
    }
    settle();
  }

  std::shared_ptr<const model::definition> deploy(std::string_view json) {
    answers<actors::deploy_answer> done;
    engine_->deploy(definition_of(json), done.callback());
    settle();
    auto a = done.get();
    REQUIRE(a.code == actors::engine_errc::ok);
    REQUIRE(a.definition);
    return a.definition;
  }

  answers<actors::process_answer> start_async(actors::start_request request) {
    answers<actors::process_answer> done;
    engine_->start(std::move(request), done.callback());
    return done;
  }
  actors::process_answer start(actors::start_request request) {
    auto done = start_async(std::move(request));
    settle();
    return done.get();
  }
  actors::process_answer start(std::string definition, std::string scope = {}) {
    actors::start_request r;
    r.definition = std::move(definition);
    r.scope = std::move(scope);
    return start(std::move(r));
  }

  actors::process_answer complete(std::string step_id, model::values params = {}) {
    answers<actors::process_answer> done;
    engine_->complete_step(std::move(step_id), std::move(params), "test", done.callback());
    settle();
    return done.get();
  }

  actors::process_answer cancel(std::string process_id, std::string reason = "test") {
    answers<actors::process_answer> done;
    engine_->cancel(std::move(process_id), std::move(reason), done.callback());
    settle();
    return done.get();
  }

  actors::scope_info scope(std::string name) {
    answers<actors::scope_info> done;
    engine_->scope(std::move(name), done.callback());
    settle();
    return done.get();
  }

  actors::scope_info configure_scope(std::string name, actors::scope_settings settings) {
    answers<actors::scope_answer> done;
    engine_->configure_scope(std::move(name), std::move(settings), done.callback());
    settle();
    auto a = done.get();
    REQUIRE(a.code == actors::engine_errc::ok);
    return a.info;
  }

  /// The stored snapshot; fails the test when there is none.
  model::process_state load(std::string_view id) {
    auto p = store_->load_process(id).value();
    REQUIRE(p);
    return std::move(*p);
  }
  model::process_status status(std::string_view id) { return load(id).status; }
  /// The processStepId of the process' active step, empty when none.
  std::string active_step(std::string_view id) {
    auto p = load(id);
    const auto* exec = p.active();
    return exec ? exec->id : std::string();
  }

  /// Stops the engine and closes the database, then opens both again on the same folder
  /// and recovers, as after a restart of the server. The wall clock moves on by `downtime`
  /// while the server is down (what it missed is the schedules' misfires).
  void restart(std::chrono::milliseconds downtime = {}) {
    restart_unsettled(downtime);
    settle();
  }

  /// `restart` without running any actor afterwards: recovery has read the index and the
  /// engine is ready, but the scheduler has not yet worked through what it was handed.
  void restart_unsettled(std::chrono::milliseconds downtime = {}) {
    close();
    wall_base_ms_ += downtime.count();
    open();
    REQUIRE(engine_->recover().ok());
  }

  /// Stops the engine once nothing is in flight (the writer idle, so the engine's shutdown
  /// may run the remaining actor jobs on this thread), then destroys it.
  void stop_engine() {
    if (!engine_) return;
    shutdown();
    // The virtual clock goes with the engine's actor system: "now" stands still until the
    // next engine starts.
    wall_base_ms_ = now();
    virtual_clock_ = nullptr;
    engine_.reset();
  }

  /// Calls the engine's own shutdown once nothing is in flight; the engine object stays.
  void shutdown() {
    if (shut_down_) return;
    settle();
    delegates_.drop_callbacks();
    engine_->shutdown();
    shut_down_ = true;
  }

 private:
  void open() {
    config::settings settings;
    settings.engine.passivate_after = options_.passivate_after;
    settings.engine.job_activation_hold = options_.job_activation_hold;
    settings.outgoing = options_.outgoing;
    settings.storage.mode = options_.sync ? config::durability::sync : config::durability::async;
    settings.storage.data_dir = dir_.str();
    storage::store_options store_options;
    store_options.sync = options_.sync;
    store_options.faults = options_.faults;
    auto opened = storage::process_store::open(dir_.str(), store_options);
    if (!opened.ok()) FAIL("cannot open store: " << opened.error().describe());
    store_ = std::move(opened).value();
    shut_down_ = false;
    // Actors do not run before `sched().run()`, so none reads the clock before it is set.
    engine_ = std::make_unique<actors::engine_impl>(
        settings, *store_, delegates_, [this] { return now(); }, /*testing=*/true,
        options_.formats);
    virtual_clock_ = &sched().clock();
    virtual_origin_ = virtual_clock_->current_time;
  }

  void close() {
    stop_engine();
    store_.reset();
  }

  engine_options options_;
  temp_dir dir_;
  std::int64_t wall_base_ms_ = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  caf::detail::test_actor_clock* virtual_clock_ = nullptr;
  caf::detail::test_actor_clock::time_point virtual_origin_;
  fake_delegate delegates_;
  std::unique_ptr<storage::process_store> store_;
  std::unique_ptr<actors::engine_impl> engine_;
  bool shut_down_ = false;
};

}  // namespace baton::testing
