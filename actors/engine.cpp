#include <spdlog/spdlog.h>

#include <atomic>
#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/response_type.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <random>

#include "actors/engine_impl.hpp"
#include "actors/messages.hpp"
#include "actors/outbox.hpp"
#include "actors/recovery_scan.hpp"
#include "actors/scheduler.hpp"
#include "actors/trigger.hpp"

namespace baton::actors {

namespace {

/// What a caller hears when its request got no reply: the engine is stopping, or the actor
/// did not answer in time (`error` null), or it failed before it answered (it is restarted
/// from what is stored; the command may or may not have been applied, as after a timeout).
template <class Answer>
Answer unanswered(const caf::error* error, bool stopping) {
  Answer a{};
  if constexpr (requires { a.code; }) {
    if (stopping) {
      a.code = engine_errc::shutting_down;
      a.message = "the engine is shutting down";
    } else {
      a.code = engine_errc::timed_out;
      a.message =
          error ? "the engine failed to answer; try again" : "the engine did not answer in time";
    }
  }
  return a;
}

// -- forwarding (a cluster) -----------------------------------------------------------------
//
// A command for another node's partition travels as its type ID (2 bytes, little endian) and
// its CAF binary encoding; the answer comes back as the encoding of the answer type alone.
// Both ends know the types from the one type-ID block, so no actor system is needed to read
// them, and only the commands listed in `run_forwarded` are taken.

template <class T>
std::string encode_value(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (sink(const_cast<T&>(x))) return {};  // cannot fail for these types: nothing to write
  return {buf.begin(), buf.end()};
}

template <class T>
std::optional<T> decode_value(std::string_view bytes) {
  T out{};
  caf::binary_deserializer source{nullptr, bytes.data(), bytes.size()};
  if (source(out) || source.remaining() != 0) return std::nullopt;
  return out;
}

template <class Message>
std::string encode_command(const Message& msg) {
  const caf::type_id_t id = caf::type_id<Message>::value;
  std::string out(2, '\0');
  out[0] = static_cast<char>(id & 0xff);
  out[1] = static_cast<char>(id >> 8);
  return out + encode_value(msg);
}

/// What a client hears when its command could not reach, or not come back from, the node
/// that owns its partition: 503 + Retry-After in every API, with the reason.
template <class Answer>
Answer not_forwarded(std::string why) {
  Answer a{};
  a.code = engine_errc::storage_unavailable;
  a.message = std::move(why);
  return a;
}

/// How much longer than the owner's own patience a forwarding node waits: the owner's answer
/// that it gave up (503) comes back rather than a guess.
constexpr std::chrono::milliseconds forward_margin{5'000};

}  // namespace

template <class Answer, class Message>
void engine_impl::ask_owner(std::optional<std::uint32_t> partition, Message msg,
                            std::function<void(Answer)> done, std::chrono::milliseconds timeout) {
  static_assert(std::is_same_v<caf::response_type_t<caf::signatures_of_t<scheduler_actor>, Message>,
                               caf::detail::type_list<Answer>>);
  auto* cluster = ctx_->cluster;
  if (!cluster || !partition || cluster->epoch_of(*partition))
    return ask<Answer>(ctx_->scheduler, std::move(msg), std::move(done), timeout);
  ++ctx_->forwarded;
  cluster->forward(*partition, encode_command(msg), timeout + forward_margin,
                   [done = std::move(done)](std::optional<std::string> answer, std::string why) {
                     if (!answer) return done(not_forwarded<Answer>(std::move(why)));
                     auto read = decode_value<Answer>(*answer);
                     if (!read)
                       return done(not_forwarded<Answer>("the owner's answer was unreadable"));
                     done(std::move(*read));
                   });
}

std::optional<std::uint32_t> engine_impl::partition_of_process(std::string_view id) const {
  if (!ctx_->cluster) return std::nullopt;
  return model::partition_of_id(id, ctx_->cluster->partitions());
}

std::optional<std::uint32_t> engine_impl::partition_of_scope(std::string_view scope) const {
  if (!ctx_->cluster || scope.empty()) return std::nullopt;
  return model::partition_of_scope(scope, ctx_->cluster->partitions());
}

void engine_impl::run_forwarded(std::string_view command,
                                std::function<void(std::optional<std::string>)> done) {
  if (command.size() < 2) return done(std::nullopt);
  const auto id = static_cast<caf::type_id_t>(static_cast<unsigned char>(command[0]) |
                                              static_cast<unsigned char>(command[1]) << 8);
  command.remove_prefix(2);
  // Answered here, never forwarded on: a node that no longer owns the partition refuses the
  // write (503 naming the owner), so a command cannot travel in circles.
  auto run = [&]<class Message, class Answer>(std::chrono::milliseconds timeout = request_timeout) {
    auto msg = decode_value<Message>(command);
    if (!msg) return done(std::nullopt);
    if constexpr (std::is_same_v<Message, start_process>) {
      if (msg->request.wait_timeout_ms)
        timeout += std::chrono::milliseconds(*msg->request.wait_timeout_ms);
    }
    ask<Answer>(
        ctx_->scheduler, std::move(*msg),
        std::function<void(Answer)>([done = std::move(done)](Answer a) { done(encode_value(a)); }),
        timeout);
  };
  switch (id) {
    case caf::type_id<start_process>::value:
      return run.template operator()<start_process, process_answer>();
    case caf::type_id<process_command>::value:
      return run.template operator()<process_command, process_answer>();
    case caf::type_id<actors::complete_step>::value:
      return run.template operator()<actors::complete_step, process_answer>();
    case caf::type_id<retry_in_scope>::value:
      return run.template operator()<retry_in_scope, process_answer>();
    case caf::type_id<scope_query>::value:
      return run.template operator()<scope_query, scope_info>();
    case caf::type_id<scope_configure>::value:
      return run.template operator()<scope_configure, scope_answer>();
    case caf::type_id<scope_list_query>::value:
      // This node's own queues only: the asking node merges every owner's.
      return ask<std::vector<scope_info>>(
          ctx_->scheduler, scope_list_query{},
          [this, done = std::move(done)](std::vector<scope_info> mine) {
            done(encode_value(owned_scopes(std::move(mine))));
          });
    case caf::type_id<actors::activate_jobs>::value: {
      // This node's board only: the asking node polls every board itself.
      auto msg = decode_value<actors::activate_jobs>(command);
      if (!msg) return done(std::nullopt);
      auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, msg->request.wait_ms));
      return ask<job_batch>(ctx_->job_board(), std::move(*msg),
                            std::function<void(job_batch)>(
                                [done = std::move(done)](job_batch b) { done(encode_value(b)); }),
                            request_timeout + wait);
    }
    case caf::type_id<cancel_activation>::value: {
      auto msg = decode_value<cancel_activation>(command);
      if (!msg) return done(std::nullopt);
      caf::anon_send(ctx_->job_board(), std::move(*msg));
      return done(std::string());
    }
    case caf::type_id<schedule_create>::value:
      return run.template operator()<schedule_create, schedule_answer>();
    case caf::type_id<schedule_change>::value:
      return run.template operator()<schedule_change, schedule_answer>();
    default:
      return done(std::nullopt);
  }
}

template <class Answer, class Handle, class Message>
void engine_impl::ask(const Handle& dest, Message msg, std::function<void(Answer)> done,
                      std::chrono::milliseconds timeout) {
  // The checks a typed `request` would make: `dest` takes `Message` and answers `Answer`.
  static_assert(std::is_same_v<caf::response_type_t<caf::signatures_of_t<Handle>, Message>,
                               caf::detail::type_list<Answer>>);
  replies_->request(
      caf::actor_cast<caf::strong_actor_ptr>(dest), caf::make_message(std::move(msg)),
      ctx_->now_ms() + timeout.count(), [done = std::move(done), ctx = ctx_](caf::message* reply) {
        if (reply && reply->match_elements<Answer>())
          return done(std::move(reply->get_mutable_as<Answer>(0)));
        const caf::error* error =
            reply && reply->match_elements<caf::error>() ? &reply->get_as<caf::error>(0) : nullptr;
        done(unanswered<Answer>(error, !ctx->ready));
      });
}

storage::result<std::unique_ptr<engine>> engine::create(const config::settings& settings,
                                                        storage::process_store& store,
                                                        outgoing::delegate_client& delegates,
                                                        clock_ms now_ms, callback_formats formats,
                                                        partition_owner* cluster) {
  auto e = std::make_unique<engine_impl>(settings, store, delegates, std::move(now_ms),
                                         /*testing=*/false, std::move(formats), cluster);
  if (auto recovered = e->recover(); !recovered.ok()) return recovered;
  return std::unique_ptr<engine>(std::move(e));
}

engine_impl::engine_impl(const config::settings& settings, storage::process_store& store,
                         outgoing::delegate_client& delegates, clock_ms now_ms, bool testing,
                         callback_formats formats, partition_owner* cluster) {
  if (testing) {
    config_.set("scheduler.policy", caf::atom("testing"));
  } else {
    config_.set("scheduler.max-threads", 2);
    // Work sharing (one queue, idle workers block on a condition variable) instead of
    // work stealing, whose idle workers poll in 50 µs sleeps: that polling cost 13 % of
    // the server's CPU in a start run, context switches being dear on this kind of VM.
    // Measured back to back, async starts at 64 connections: 14.7k/s against 9.9k/s
    // (medians of 6) and 70 µs against 74 µs of CPU per start; at an open 2,000 starts/s,
    // 230-305 µs against 300-354 µs.
    config_.set("scheduler.policy", caf::atom("sharing"));
  }
  config_.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(config_);
  system_ = std::make_unique<caf::actor_system>(config_);
  ctx_ = std::shared_ptr<engine_context>(
      new engine_context{settings,
                         store,
                         delegates,
                         now_ms ? std::move(now_ms) : clock_ms(model::system_clock_ms),
                         {},
                         {},
                         {},
                         {}});
  ctx_->detached_readers = !testing;
  ctx_->idle_watch = spawn_idle_watch(*system_, ctx_);
  ctx_->cluster = cluster;
  // Before the scheduler: process actors signal the outbox from their first write on.
  outbox_deps deps{
      &store,         &delegates, &ctx_->definitions, settings.outgoing, std::move(formats),
      ctx_->callbacks};
  deps.scope_of = [c = ctx_.get()](std::string_view id) { return c->process_scope(id, 0); };
  ctx_->start_outbox = [sys = system_.get(), c = ctx_.get(), deps = std::move(deps)] {
    // Its reads of the store (each callback's snapshot and target) wait on its own thread.
    auto box =
        c->detached_readers ? sys->spawn<caf::detached>(outbox, deps) : sys->spawn(outbox, deps);
    c->set_outbox(box);
    caf::anon_send(box, outbox_scan{});  // now that processes signal this one
    return box;
  };
  ctx_->start_outbox();
  ctx_->set_job_board(spawn_job_board(*system_, ctx_));
  ctx_->scheduler = spawn_scheduler(*system_, ctx_);
  replies_ = std::make_unique<reply_desk>(*system_);
  // Message records belong to no process: cluster-wide, as definitions are.
  mailroom_ = std::make_unique<mailroom>(
      store, ctx_->now_ms,
      [this](mailroom::delivery d, answer_callback done) {
        auto process_id = model::process_id_of_step(d.step_id);
        if (!process_id) {
          process_answer a;
          a.code = engine_errc::not_found;
          a.message = "malformed processStepId";
          return done(std::move(a));
        }
        actors::complete_step cmd{std::string(*process_id),
                                  std::move(d.step_id),
                                  std::move(d.values),
                                  {},
                                  std::move(d.by)};
        cmd.message = std::move(d.name);
        cmd.consume_key = std::move(d.consume_key);
        ask_owner<process_answer>(partition_of_process(cmd.process_id), std::move(cmd),
                                  std::move(done));
      },
      storage::write_scope{
          cluster ? storage::write_scope::cluster_wide : storage::write_scope::unassigned, 0});
  ctx_->message_awaited = [m = mailroom_.get()](const std::string& name,
                                                const std::string& correlation) {
    m->awaited(name, correlation);
  };
  // Under the test coordinator a test gives up on late requests itself (`expire_requests`):
  // a watch ticking forever would never let its clock run dry.
  if (!testing) reply_watch_ = spawn_reply_watch(*system_, *replies_, ctx_->now_ms);
}

engine_impl::~engine_impl() {
  shutdown();
  replies_.reset();
  // The system waits for each detached actor's thread, which ends only once nothing holds
  // the actor: the context (which outlives the system) and the registry of names (which
  // the system clears only after that wait) let go of those they name.
  ctx_->set_outbox({});
  ctx_->set_job_board({});
  ctx_->idle_watch = idle_watch_actor{};
  auto& registry = system_->registry();
  for (const auto& named : registry.named_actors()) registry.erase(named.first);
  system_.reset();
}

void engine_impl::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  ctx_->ready = false;
  if (ctx_->cluster) ctx_->cluster->watch_ownership(nullptr);
  caf::anon_send_exit(ctx_->scheduler, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx_->outbox(), caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx_->job_board(), caf::exit_reason::user_shutdown);
  if (reply_watch_) caf::anon_send_exit(reply_watch_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx_->idle_watch, caf::exit_reason::user_shutdown);
  // The test coordinator has no threads: unless the exit messages run here, nothing waits
  // for actors that nobody runs.
  if (auto* sched = dynamic_cast<caf::scheduler::test_coordinator*>(&system_->scheduler())) {
    sched->run();
  } else {
    system_->await_all_actors_done();
  }
  // A request still open has a receiver that is gone without bouncing it: none should be
  // left, but a caller must hear something.
  replies_->expire_all();
  // Writes still in flight answer actors that are gone: harmless while the system lives, so
  // wait for them here rather than in the store's destructor after the system is gone.
  std::promise<void> flushed;
  storage::batch nothing;
  nothing.set_scope({storage::write_scope::cluster_wide, 0});
  ctx_->store.committer().submit(std::move(nothing),
                                 [&flushed](const storage::status&) { flushed.set_value(); });
  flushed.get_future().wait();
}

storage::status engine_impl::recover() {
  auto& store = ctx_->store;
  // Every read here must succeed: an engine that started without part of its definitions,
  // processes or schedules would answer 404 for work it holds.
  auto definitions = store.load_definitions();
  if (!definitions.ok()) return definitions.error();
  auto schedules = store.load_schedules();
  if (!schedules.ok()) return schedules.error();
  auto retired = store.load_retirements();
  if (!retired.ok()) return retired.error();
  for (auto& def : definitions.value()) {
    ctx_->definitions.add(std::make_shared<const model::definition>(std::move(def)));
  }
  ctx_->definitions.set_retirements(std::move(retired).value());
  // Only the active index is read: a process waiting for a command stays on disk until one
  // comes, and everything else is handed to the scheduler, which resumes it in chunks after
  // readiness.
  std::function<bool(std::string_view)> keep = [](std::string_view) { return true; };
  std::map<std::uint32_t, std::int64_t> owned;
  if (auto* cluster = ctx_->cluster) {
    // In a cluster, this node resumes its own partitions, as owned from the moment it listens
    // to changes on: partitions taken later are resumed each on its own (`partition_loaded`).
    owned = cluster->watch_ownership([scheduler = ctx_->scheduler](const auto& changes) {
      caf::anon_send(scheduler, ownership_changed{changes});
    });
    std::int64_t latest = 0;
    for (const auto& [p, epoch] : owned) latest = std::max(latest, epoch);
    if (!cluster->wait_applied(latest, std::chrono::seconds(30)))
      return {storage::storage_errc::busy,
              "this node's store did not catch up with the cluster's log in time"};
    keep = [&owned, n = cluster->partitions()](std::string_view id) {
      return owned.contains(model::partition_of_id(id, n));
    };
  }
  recovery_scan scan;
  if (auto scanned = scan_recovery(store, keep, scan); !scanned.ok()) return scanned;
  ctx_->active += scan.active;
  for (auto& [name, restore] : scan.scopes) caf::anon_send(ctx_->scheduler, std::move(restore));
  caf::anon_send(ctx_->scheduler, std::move(scan.work));
  caf::anon_send(ctx_->scheduler, schedule_restore{std::move(schedules).value()});
  mailroom_->recover();
  ctx_->ready = true;
  return {};
}

void engine_impl::start(start_request request, answer_callback done) {
  auto timeout = request_timeout;
  // A synchronous start waits for its process inside the engine: that much longer.
  if (request.wait_timeout_ms) timeout += std::chrono::milliseconds(*request.wait_timeout_ms);
  auto partition = partition_of_scope(request.scope);
  ask_owner<process_answer>(partition, start_process{std::move(request)}, std::move(done), timeout);
}

void engine_impl::complete_step(std::string step_id, model::values params, std::string by,
                                answer_callback done) {
  auto process_id = model::process_id_of_step(step_id);
  if (!process_id) {
    process_answer a;
    a.code = engine_errc::not_found;
    a.message = "malformed processStepId";
    a.field = "processStepId";
    return done(std::move(a));
  }
  ask_owner<process_answer>(
      partition_of_process(*process_id),
      actors::complete_step{
          std::string(*process_id), std::move(step_id), std::move(params), {}, std::move(by)},
      std::move(done));
}

void engine_impl::post_message(message_post message, std::function<void(message_outcome)> done) {
  mailroom_->post(std::move(message), std::move(done));
}

void engine_impl::cancel(std::string process_id, std::string reason, answer_callback done) {
  auto partition = partition_of_process(process_id);
  ask_owner<process_answer>(
      partition,
      process_command{std::move(process_id), model::ev_cancel{std::move(reason)},
                      engine_errc::conflict},
      std::move(done));
}

void engine_impl::execute(std::string process_id, std::string step_id, answer_callback done) {
  auto partition = partition_of_process(process_id);
  ask_owner<process_answer>(
      partition,
      process_command{std::move(process_id), model::ev_execute{std::move(step_id)},
                      engine_errc::conflict},
      std::move(done));
}

void engine_impl::retry(std::string process_id, std::string scope, model::values values,
                        std::string by, answer_callback done) {
  auto partition = partition_of_process(process_id);
  model::ev_retry ev{std::move(by), std::move(values)};
  if (scope.empty()) {
    return ask_owner<process_answer>(
        partition, process_command{std::move(process_id), std::move(ev), engine_errc::conflict},
        std::move(done));
  }
  ask_owner<process_answer>(partition,
                            retry_in_scope{std::move(process_id), std::move(scope), std::move(ev)},
                            std::move(done));
}

void engine_impl::activate_jobs(job_activation request, std::function<void(job_batch)> done) {
  // A long poll waits inside the engine: that much longer.
  auto timeout =
      request_timeout + std::chrono::milliseconds(std::max<std::int64_t>(0, request.wait_ms));
  auto* cluster = ctx_->cluster;
  auto others = cluster ? cluster->one_of_each_other_owner() : std::vector<std::uint32_t>{};
  if (others.empty()) {
    return ask<job_batch>(ctx_->job_board(), actors::activate_jobs{std::move(request)},
                          std::move(done), timeout);
  }
  // Each node's board holds the jobs of its own partitions: the poll goes to every board at
  // once. Without a wait, the worker gets what they all had (up to `max`); a long poll
  // answers with the first board that has jobs, and the others' polls are called off.
  // Jobs leased beyond what the worker gets are released at once (their attempt unused).
  static std::atomic<std::uint64_t> polls{0};
  static const std::uint64_t salt = std::random_device{}();
  request.poll_id = std::to_string(salt) + "-" + std::to_string(++polls);
  struct fan_in {
    std::mutex mutex;
    std::size_t outstanding = 0;
    bool answered = false;
    job_batch result;
    std::function<void(job_batch)> done;
  };
  auto g = std::make_shared<fan_in>();
  g->outstanding = others.size() + 1;
  g->done = std::move(done);
  const auto max = static_cast<std::size_t>(std::max<std::int32_t>(1, request.max));
  const bool long_poll = request.wait_ms > 0;
  auto cancel = [this, others, poll_id = request.poll_id] {
    caf::anon_send(ctx_->job_board(), cancel_activation{poll_id});
    for (auto p : others) {
      ctx_->cluster->forward(p, encode_command(cancel_activation{poll_id}), request_timeout,
                             [](std::optional<std::string>, std::string) {});
    }
  };
  auto arrived = [this, g, max, long_poll, cancel](job_batch b, bool local) {
    std::vector<leased_job> extra;
    std::function<void(job_batch)> finish;
    job_batch out;
    bool call_off = false;
    {
      std::lock_guard lock(g->mutex);
      --g->outstanding;
      if (g->answered) {
        extra = std::move(b.jobs);
      } else {
        for (auto& j : b.jobs) (g->result.jobs.size() < max ? g->result.jobs : extra).push_back(j);
        // The local board's failure is the worker's answer when no board had jobs; an owner
        // out of reach is left out (its jobs are offered to its own workers).
        if (local && b.code != engine_errc::ok) {
          g->result.code = b.code;
          g->result.message = b.message;
        }
        bool has_jobs = !g->result.jobs.empty();
        if (g->outstanding == 0 || (long_poll && has_jobs)) {
          g->answered = true;
          call_off = g->outstanding > 0;
          if (has_jobs) g->result.code = engine_errc::ok;
          out = std::move(g->result);
          finish = std::move(g->done);
        }
      }
    }
    for (auto& j : extra) {
      release_job(j.key, j.token, "another node's board answered the worker first",
                  [](const process_answer&) {});
    }
    if (call_off) cancel();
    if (finish) finish(std::move(out));
  };
  ask<job_batch>(
      ctx_->job_board(), actors::activate_jobs{request},
      std::function<void(job_batch)>([arrived](job_batch b) { arrived(std::move(b), true); }),
      timeout);
  for (auto p : others) {
    cluster->forward(p, encode_command(actors::activate_jobs{request}), timeout + forward_margin,
                     [arrived, p](std::optional<std::string> answer, std::string why) {
                       auto read = answer ? decode_value<job_batch>(*answer) : std::nullopt;
                       if (!read) {
                         spdlog::warn(
                             "cluster: the jobs of partition {}'s owner are left out of "
                             "an activation: {}",
                             p, answer ? "its answer was unreadable" : why);
                       }
                       arrived(read ? std::move(*read) : job_batch{}, false);
                     });
  }
}

namespace {

/// The process of job `key`, or the answer that says `key` is not a job's.
std::optional<std::string> process_of_job(const std::string& key, answer_callback& done) {
  auto process_id = model::process_id_of_step(key);
  if (process_id) return std::string(*process_id);
  process_answer a;
  a.code = engine_errc::not_found;
  a.message = "malformed job key";
  a.field = "key";
  done(std::move(a));
  return std::nullopt;
}

}  // namespace

void engine_impl::complete_job(std::string key, std::string token, model::values params,
                               answer_callback done) {
  auto process_id = process_of_job(key, done);
  if (!process_id) return;
  // In a cluster, the node that owns the job's process applies it (as complete-step).
  auto partition = partition_of_process(*process_id);
  ask_owner<process_answer>(
      partition,
      actors::complete_step{
          std::move(*process_id), std::move(key), std::move(params), std::move(token), {}},
      std::move(done));
}

void engine_impl::release_job(std::string key, std::string token, std::string why,
                              answer_callback done) {
  auto process_id = process_of_job(key, done);
  if (!process_id) return;
  model::ev_job_failed ev{std::move(key), std::move(token), std::move(why), std::nullopt, true};
  auto partition = partition_of_process(*process_id);
  ask_owner<process_answer>(
      partition, process_command{std::move(*process_id), std::move(ev), engine_errc::conflict},
      std::move(done));
}

void engine_impl::fail_job(std::string key, std::string token, std::string error,
                           std::optional<std::int64_t> retry_in_ms, answer_callback done) {
  auto process_id = process_of_job(key, done);
  if (!process_id) return;
  model::ev_job_failed ev{std::move(key), std::move(token), std::move(error), retry_in_ms};
  auto partition = partition_of_process(*process_id);
  ask_owner<process_answer>(
      partition, process_command{std::move(*process_id), std::move(ev), engine_errc::conflict},
      std::move(done));
}

void engine_impl::extend_job(std::string key, std::string token, std::int64_t lease_ms,
                             answer_callback done) {
  auto process_id = process_of_job(key, done);
  if (!process_id) return;
  model::ev_lease_extended ev{std::move(key), std::move(token), lease_ms};
  auto partition = partition_of_process(*process_id);
  ask_owner<process_answer>(
      partition, process_command{std::move(*process_id), std::move(ev), engine_errc::conflict},
      std::move(done));
}

void engine_impl::list_jobs(std::string type, std::optional<model::job_status> status,
                            std::function<void(std::vector<job_info>)> done) {
  ask<std::vector<job_info>>(ctx_->job_board(), job_list_query{std::move(type), status},
                             std::move(done));
}

void engine_impl::deploy(model::definition def, std::function<void(deploy_answer)> done) {
  ask<deploy_answer>(ctx_->scheduler, deploy_definition{std::move(def)}, std::move(done));
}

void engine_impl::retire(std::string name, std::string by,
                         std::function<void(retire_answer)> done) {
  ask<retire_answer>(ctx_->scheduler, retire_definition{std::move(name), std::move(by)},
                     std::move(done));
}

void engine_impl::scope(std::string name, std::function<void(scope_info)> done) {
  auto partition = partition_of_scope(name);
  ask_owner<scope_info>(partition, scope_query{std::move(name)}, std::move(done));
}

void engine_impl::list_scopes(std::function<void(std::vector<scope_info>)> done) {
  auto* cluster = ctx_->cluster;
  if (!cluster) {
    return ask<std::vector<scope_info>>(ctx_->scheduler, scope_list_query{}, std::move(done));
  }
  // Each node knows the queues of its own partitions: ask every owner and merge.
  struct gather {
    std::mutex mutex;
    std::vector<scope_info> scopes;
    std::size_t outstanding = 0;
    std::function<void(std::vector<scope_info>)> done;
  };
  auto g = std::make_shared<gather>();
  const auto others = cluster->one_of_each_other_owner();
  g->outstanding = others.size() + 1;
  g->done = std::move(done);
  auto add = [g](std::vector<scope_info> some) {
    std::unique_lock lock(g->mutex);
    std::move(some.begin(), some.end(), std::back_inserter(g->scopes));
    if (--g->outstanding > 0) return;
    std::sort(g->scopes.begin(), g->scopes.end(),
              [](const auto& x, const auto& y) { return x.name < y.name; });
    lock.unlock();
    g->done(std::move(g->scopes));
  };
  ask<std::vector<scope_info>>(
      ctx_->scheduler, scope_list_query{},
      [this, add](std::vector<scope_info> mine) { add(owned_scopes(std::move(mine))); });
  for (auto p : others) {
    cluster->forward(p, encode_command(scope_list_query{}), request_timeout + forward_margin,
                     [add, p](std::optional<std::string> answer, std::string why) {
                       auto read =
                           answer ? decode_value<std::vector<scope_info>>(*answer) : std::nullopt;
                       if (!read) {
                         spdlog::warn(
                             "cluster: the scopes of partition {}'s owner are left out of "
                             "a list: {}",
                             p, answer ? "its answer was unreadable" : why);
                       }
                       add(read ? std::move(*read) : std::vector<scope_info>{});
                     });
  }
}

std::vector<scope_info> engine_impl::owned_scopes(std::vector<scope_info> scopes) const {
  if (!ctx_->cluster) return scopes;
  std::erase_if(scopes, [this](const scope_info& s) {
    return !ctx_->cluster->epoch_of(model::partition_of_scope(s.name, ctx_->cluster->partitions()));
  });
  return scopes;
}

void engine_impl::configure_scope(std::string name, scope_settings settings,
                                  std::function<void(scope_answer)> done) {
  auto partition = partition_of_scope(name);
  ask_owner<scope_answer>(partition, scope_configure{std::move(name), std::move(settings)},
                          std::move(done));
}

void engine_impl::create_schedule(model::schedule s, schedule_callback done) {
  // With a scope, the schedule lives where its scope does (see the trigger's `on_create`).
  auto partition = partition_of_scope(s.scope);
  ask_owner<schedule_answer>(partition, schedule_create{std::move(s)}, std::move(done));
}

void engine_impl::change_schedule(std::string id, schedule_action action, schedule_callback done) {
  auto partition = partition_of_process(id);  // a schedule's id carries its partition too
  ask_owner<schedule_answer>(partition, schedule_change{std::move(id), action}, std::move(done));
}

void engine_impl::collect_metrics(std::string& out) const {
  auto line = [&](std::string_view name, std::string_view labels, auto v) {
    out += name;
    out += labels;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  auto& c = *ctx_;
  out += "# TYPE baton_processes_started_total counter\n";
  line("baton_processes_started_total", "", c.started.load());
  out += "# TYPE baton_processes_finished_total counter\n";
  line("baton_processes_finished_total", "{status=\"SUCCEEDED\"}", c.succeeded.load());
  line("baton_processes_finished_total", "{status=\"FAILED\"}", c.failed.load());
  line("baton_processes_finished_total", "{status=\"CANCELLED\"}", c.cancelled.load());
  out += "# TYPE baton_processes_active gauge\n";
  line("baton_processes_active", "", c.active.load());
  out += "# TYPE baton_process_actors_live gauge\n";
  line("baton_process_actors_live", "", c.live.load());
  out += "# TYPE baton_process_passivations_total counter\n";
  line("baton_process_passivations_total", "", c.passivated.load());
  line("baton_process_rehydrations_total", "", c.rehydrated.load());
  out += "# TYPE baton_start_replays_total counter\n";
  line("baton_start_replays_total", "", c.starts_replayed.load());
  if (c.cluster) {
    out += "# TYPE baton_cluster_commands_forwarded_total counter\n";
    line("baton_cluster_commands_forwarded_total", "", c.forwarded.load());
  }
  out += "# TYPE baton_schedule_fires_total counter\n";
  line("baton_schedule_fires_total", "", c.schedule_fires.load());
  out += "# TYPE baton_schedule_fire_lag_ms_max gauge\n";
  line("baton_schedule_fire_lag_ms_max", "", c.schedule_lag_ms_max.load());
  {
    auto& j = *c.jobs_counted;
    out += "# TYPE baton_jobs gauge\n";
    std::lock_guard lock(j.mutex);
    for (const auto& [type, counts] : j.by_type) {
      // A connector's `worker` may be any text: escaped as Prometheus label values are.
      std::string label;
      for (char ch : type) {
        if (ch == '"' || ch == '\\') label += '\\';
        label += ch == '\n' ? ' ' : ch;
      }
      line("baton_jobs", "{type=\"" + label + "\",state=\"waiting\"}", counts.first);
      line("baton_jobs", "{type=\"" + label + "\",state=\"leased\"}", counts.second);
    }
  }
  out += "# TYPE baton_jobs_activated_total counter\n";
  line("baton_jobs_activated_total", "", c.jobs_counted->leased.load());
  out += "# TYPE baton_job_activation_latency_ms summary\n";
  line("baton_job_activation_latency_ms_sum", "", c.jobs_counted->latency_ms_sum.load());
  line("baton_job_activation_latency_ms_count", "", c.jobs_counted->leased.load());
  out += "# TYPE baton_job_activation_latency_ms_max gauge\n";
  line("baton_job_activation_latency_ms_max", "", c.jobs_counted->latency_ms_max.load());
  out += "# TYPE baton_job_lease_expiries_total counter\n";
  line("baton_job_lease_expiries_total", "", c.jobs_counted->lease_expiries.load());
  out += "# TYPE baton_job_polls_parked gauge\n";
  line("baton_job_polls_parked", "", c.jobs_counted->polls_parked.load());
  auto s = c.store.committer().snapshot();
  out += "# TYPE baton_callbacks_delivered_total counter\n";
  line("baton_callbacks_delivered_total", "", c.callbacks->delivered.load());
  out += "# TYPE baton_callbacks_given_up_total counter\n";
  line("baton_callbacks_given_up_total", "", c.callbacks->given_up.load());
  out += "# TYPE baton_store_commits_total counter\n";
  line("baton_store_commits_total", "", s.commits);
  line("baton_store_writes_total", "", s.submissions);
  out += "# TYPE baton_store_batch_size histogram\n";
  static constexpr const char* les[] = {"1", "4", "16", "64", "256", "+Inf"};
  std::uint64_t cumulative = 0;
  for (int i = 0; i < 6; ++i) {
    cumulative += s.buckets[i];
    line("baton_store_batch_size_bucket", std::string("{le=\"") + les[i] + "\"}", cumulative);
  }
  line("baton_store_batch_size_sum", "", s.submissions);
  line("baton_store_batch_size_count", "", s.commits);
  out += "# TYPE baton_store_writes_refused_total counter\n";
  line("baton_store_writes_refused_total", "", s.refused);
  out += "# TYPE baton_store_resumed_total counter\n";
  line("baton_store_resumed_total", "", s.resumed);
  auto refusing = c.store.committer().refusing();
  auto volume = c.store.disk().last();
  out += "# TYPE baton_store_refusing_writes gauge\n";
  line("baton_store_refusing_writes", "", refusing.ok() ? 0 : 1);
  out += "# TYPE baton_store_memtable_bytes gauge\n";
  line("baton_store_memtable_bytes", "", c.store.database().memtable_bytes());
  out += "# TYPE baton_data_volume_available_bytes gauge\n";
  line("baton_data_volume_available_bytes", "", volume.available);
  out += "# TYPE baton_data_volume_min_free_bytes gauge\n";
  line("baton_data_volume_min_free_bytes", "", volume.min_free);
}

}  // namespace baton::actors
