#include "actors/fire_batch.hpp"

#include <algorithm>

#include "actors/context.hpp"
#include "actors/new_process.hpp"
#include "model/cluster.hpp"

namespace baton::actors {

start_request fire_request(const model::schedule& s, std::int64_t fire_ms) {
  start_request req;
  req.definition = s.definition;
  req.values = s.vals;
  req.scope = s.scope;
  if (s.overlap == model::overlap_policy::queue && req.scope.empty()) {
    req.scope = std::string{model::schedule_queue_prefix} + s.id;
  }
  req.retry_count = s.retry_count;
  req.worker = s.worker;
  req.schedule_id = s.id;
  req.idempotency_key = "schedule:" + s.id + ":" + std::to_string(fire_ms);
  return req;
}

bool batchable(const model::schedule& s) {
  return s.scope.empty() && s.overlap == model::overlap_policy::allow;
}

fire_batch::fire_batch(engine_context& ctx, model::id_generator& process_ids)
    : ctx_(ctx), ids_(process_ids) {}

namespace {

bool needs_actor(const model::effect& fx) {
  return std::holds_alternative<model::fx_call_http>(fx) ||
         std::holds_alternative<model::fx_arm_timer>(fx);
}

}  // namespace

model::schedule_run fire_batch::add_fire(const model::schedule& s, std::int64_t fire_ms,
                                         std::string note, bool look_up_earlier,
                                         std::int64_t now_ms) {
  auto req = fire_request(s, fire_ms);
  if (look_up_earlier) {
    auto earlier = ctx_.store.idempotent_answer(req.idempotency_key);
    if (!earlier.ok()) {
      // Not knowing whether it started before, it is not started again: the run says why.
      return {
          fire_ms, {}, "not started: " + storage_message(earlier.error(), "reading a fire's key")};
    }
    if (earlier.value()) {
      fires_.push_back({next_schedule(), fire_ms, false, std::nullopt, nullptr});
      return {fire_ms, std::move(*earlier.value()), std::move(note)};
    }
  }
  // In a cluster, in the schedule's partition: one batch, one partition, one owner.
  auto new_id = ctx_.cluster ? ids_.next(now_ms, static_cast<std::uint16_t>(model::partition_of_id(
                                                     s.id, ctx_.cluster->partitions())))
                             : ids_.next(now_ms);
  auto prepared = prepare_launch(ctx_, req, std::move(new_id), now_ms);
  if (auto* refused = std::get_if<process_answer>(&prepared)) {
    return {fire_ms, {}, "not started: " + refused->message};
  }
  auto& launch = std::get<process_launch>(prepared);
  // prepare_launch found it; versions are never deleted.
  auto def = ctx_.definitions.find(launch.state.definition, launch.state.version);
  const auto* scenario =
      launch.state.scenario.empty() ? nullptr : def->find_scenario(launch.state.scenario);
  auto t = first_transition(std::move(launch.state), *def, scenario, true, now_ms);
  const auto& id = t.state.id;
  ctx_.store.put_process(writes_, t.state, std::nullopt);
  ctx_.store.put_history(writes_, id, t.history);
  ctx_.store.put_idempotent_answer(writes_, req.idempotency_key, id);

  batched_fire fire{next_schedule(), fire_ms, true, std::nullopt, nullptr};
  for (const auto& fx : t.effects) {
    if (const auto* end = std::get_if<model::fx_finished>(&fx)) fire.finished = end->status;
  }
  model::schedule_run run{fire_ms, id, std::move(note)};
  if (std::any_of(t.effects.begin(), t.effects.end(), needs_actor)) {
    launch.is_new = false;
    launch.state = std::move(t.state);
    launch.effects = std::move(t.effects);
    fire.actor = std::make_shared<process_launch>(std::move(launch));
  }
  fires_.push_back(std::move(fire));
  return run;
}

void fire_batch::add_fires(const std::shared_ptr<model::schedule>& schedule,
                           const model::fire_plan& plan, bool look_up_earlier,
                           std::int64_t now_ms) {
  auto& s = *schedule;
  dropped_.clear();
  for (std::size_t i = 0; i < plan.fire_times.size(); ++i) {
    auto run = add_fire(s, plan.fire_times[i], plan.notes[i], look_up_earlier, now_ms);
    if (auto dropped = model::record_run(s, std::move(run))) dropped_.push_back(*dropped);
  }
  s.next_fire_ms = plan.next_fire_ms;
  if (s.status == model::schedule_status::active) s.status = plan.status;
  ctx_.store.put_schedule_advance(writes_, s, plan.fire_times, dropped_);
  bool armed = s.status == model::schedule_status::active && s.next_fire_ms != 0;
  schedules_.push_back({schedule, armed ? s.next_fire_ms : 0});
}

fire_batch::contents fire_batch::take() {
  auto writes = writes_.count();
  auto bytes = writes_.bytes();
  auto fires = fires_.size();
  contents out{std::move(writes_), std::move(fires_), std::move(schedules_)};
  // The next batch is most likely as large as this one: room for it at once.
  writes_ = storage::batch();
  writes_.reserve(writes, bytes);
  fires_.clear();
  fires_.reserve(fires);
  schedules_.clear();
  schedules_.reserve(out.schedules.size());
  return out;
}

}  // namespace baton::actors
