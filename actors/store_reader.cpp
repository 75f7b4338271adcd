#include "actors/store_reader.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"

namespace baton::actors {

namespace {

found_start replayed_start(const engine_context& ctx, const std::string& key) {
  auto stored = ctx.store.idempotent_answer(key);
  if (!stored.ok()) return {stored.error(), std::nullopt};
  if (!stored.value()) return {};
  const auto& id = *stored.value();
  auto snapshot = ctx.store.load_process(id);
  if (!snapshot.ok()) return {snapshot.error(), std::nullopt};
  process_answer a;
  a.process_id = id;
  a.replayed = true;
  if (auto& p = snapshot.value()) {
    a.status = p->status;
    a.outputs = p->outputs;
    a.process = std::make_shared<const model::process_state>(std::move(*p));
  }
  return {{}, std::move(a)};
}

}  // namespace

store_reader_actor::behavior_type store_reader(store_reader_actor::pointer self,
                                               std::shared_ptr<engine_context> ctx) {
  return {
      [ctx](const load_process& q) {
        auto stored = ctx->store.load_process(q.process_id);
        if (!stored.ok()) return loaded_process{stored.error(), std::nullopt};
        return loaded_process{{}, std::move(stored).value()};
      },
      [ctx](const find_start& q) { return replayed_start(*ctx, q.idempotency_key); },
      [ctx](const load_scope& q) {
        // The active index in id order, as recovery reads it: queued in admission order.
        scope_loaded out;
        out.restore.scope = q.scope;
        out.read = ctx->store.for_each_recovery_need(
            [&](std::string_view id, const model::recovery_need& need) {
              if (need.scope != q.scope) return;
              auto& list = need.kind == model::recovery_kind::queued ? out.restore.queued
                                                                     : out.restore.running;
              list.emplace_back(id);
            });
        return out;
      },
      [ctx](const load_schedules&) {
        auto stored = ctx->store.load_schedules();
        if (!stored.ok()) return schedules_loaded{stored.error(), {}};
        return schedules_loaded{{}, std::move(stored).value()};
      },
  };
}

}  // namespace baton::actors
