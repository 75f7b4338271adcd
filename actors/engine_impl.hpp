#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <chrono>
#include <memory>

#include "actors/context.hpp"
#include "actors/engine.hpp"
#include "actors/mailroom.hpp"
#include "actors/reply_desk.hpp"

namespace baton::actors {

/// The engine over a CAF actor system. Tests construct it with `testing = true` to run the
/// actors on CAF's test coordinator with virtual time.
class engine_impl final : public engine {
 public:
  engine_impl(const config::settings& settings, storage::process_store& store,
              outgoing::delegate_client& delegates, clock_ms now_ms, bool testing = false,
              callback_formats formats = {}, partition_owner* cluster = nullptr);
  ~engine_impl() override;

  /// Loads definitions and non-terminal processes, rebuilds queues and timers.
  /// @returns failed when the store could not be read: the engine must not become ready.
  storage::status recover();

  void start(start_request request, answer_callback done) override;
  void complete_step(std::string step_id, model::values params, std::string by,
                     answer_callback done) override;
  void cancel(std::string process_id, std::string reason, answer_callback done) override;
  void execute(std::string process_id, std::string step_id, answer_callback done) override;
  void activate_jobs(job_activation request, std::function<void(job_batch)> done) override;
  void complete_job(std::string key, std::string token, model::values params,
                    answer_callback done) override;
  void retry(std::string process_id, std::string scope, model::values values, std::string by,
             answer_callback done) override;
  void release_job(std::string key, std::string token, std::string why,
                   answer_callback done) override;
  void fail_job(std::string key, std::string token, std::string error,
                std::optional<std::int64_t> retry_in_ms, answer_callback done) override;
  void extend_job(std::string key, std::string token, std::int64_t lease_ms,
                  answer_callback done) override;
  void list_jobs(std::string type, std::optional<model::job_status> status,
                 std::function<void(std::vector<job_info>)> done) override;
  void post_message(message_post message, std::function<void(message_outcome)> done) override;
  void deploy(model::definition def, std::function<void(deploy_answer)> done) override;
  void retire(std::string name, std::string by, std::function<void(retire_answer)> done) override;
  definition_registry& definitions() override { return ctx_->definitions; }
  bool sandbox_mode() const override {
    return ctx_->settings.engine.mode == config::engine_mode::sandbox;
  }
  std::int64_t now_ms() const override { return ctx_->now_ms(); }
  void scope(std::string name, std::function<void(scope_info)> done) override;
  void list_scopes(std::function<void(std::vector<scope_info>)> done) override;
  void configure_scope(std::string name, scope_settings settings,
                       std::function<void(scope_answer)> done) override;
  void create_schedule(model::schedule s, schedule_callback done) override;
  void change_schedule(std::string id, schedule_action action, schedule_callback done) override;
  bool ready() const override { return ctx_->ready; }
  void run_forwarded(std::string_view command,
                     std::function<void(std::optional<std::string>)> done) override;
  void collect_metrics(std::string& out) const override;
  storage::process_store& store() override { return ctx_->store; }
  void shutdown() override;

  caf::actor_system& system() { return *system_; }
  engine_context& context() { return *ctx_; }
  /// Gives up on the outside requests past their deadline now (what the reply watch does
  /// once a second outside tests).
  void expire_requests() { replies_->expire(ctx_->now_ms()); }
  std::size_t open_requests() const { return replies_->open_requests(); }

 private:
  /// Sends `msg` to `dest` as a request through the reply desk; `done` gets the reply, or an
  /// answer saying why there is none (the actor is gone, or did not answer within `timeout`).
  template <class Answer, class Handle, class Message>
  void ask(const Handle& dest, Message msg, std::function<void(Answer)> done,
           std::chrono::milliseconds timeout = request_timeout);

  /// `ask` the scheduler; but in a cluster, when `partition` is another node's, the scheduler of
  /// that node (`partition_owner::forward`), with the same answer type.
  template <class Answer, class Message>
  void ask_owner(std::optional<std::uint32_t> partition, Message msg,
                 std::function<void(Answer)> done,
                 std::chrono::milliseconds timeout = request_timeout);
  /// The partition of process `id` / scope `scope` in a cluster; none on a single node (and for
  /// no scope).
  std::optional<std::uint32_t> partition_of_process(std::string_view id) const;
  std::optional<std::uint32_t> partition_of_scope(std::string_view scope) const;
  /// The scopes of this node's partitions among `scopes` (all of them on a single node).
  std::vector<scope_info> owned_scopes(std::vector<scope_info> scopes) const;

  /// How long a client's command may take inside the engine. Generous: a write waits for at
  /// most one group commit, so only a stalled disk or a stuck actor comes near it, and then
  /// the client hears so (503) instead of waiting forever.
  static constexpr std::chrono::milliseconds request_timeout{30'000};

  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::shared_ptr<engine_context> ctx_;
  std::unique_ptr<reply_desk> replies_;
  reply_watch_actor reply_watch_;  ///< none under the test coordinator: tests expire by hand
  std::unique_ptr<mailroom> mailroom_;
  bool stopped_ = false;
};

}  // namespace baton::actors
