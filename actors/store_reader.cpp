#include "actors/store_reader.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/recovery_scan.hpp"

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

/// How long a read waits for this node's store to catch up with a partition's previous owner.
constexpr std::chrono::seconds catch_up_patience{10};

/// The epoch of `id`'s partition, once this node's store holds everything written before it:
/// state read now is what the previous owner left, never older. -1: not this node's.
storage::result<std::int64_t> caught_up_epoch(const engine_context& ctx, std::string_view id) {
  auto epoch = ctx.epoch_for(id);
  if (epoch > 0 && !ctx.cluster->wait_applied(epoch, catch_up_patience))
    return storage::status{storage::storage_errc::not_owner,
                           "this node has not caught up with the partition it took"};
  return epoch;
}

partition_loaded load(const engine_context& ctx, const load_partition& q) {
  partition_loaded out;
  out.partition = q.partition;
  out.epoch = q.epoch;
  if (!ctx.cluster->wait_applied(q.epoch, catch_up_patience)) {
    out.read = {storage::storage_errc::busy, "not caught up with the cluster's log"};
    return out;
  }
  recovery_scan scan;
  auto n = ctx.cluster->partitions();
  out.read = scan_recovery(
      ctx.store, [&](std::string_view id) { return model::partition_of_id(id, n) == q.partition; },
      scan);
  for (auto& [name, restore] : scan.scopes) out.scopes.push_back(std::move(restore));
  out.work = std::move(scan.work);
  out.active = scan.active;
  return out;
}

}  // namespace

store_reader_actor::behavior_type store_reader(store_reader_actor::pointer self,
                                               std::shared_ptr<engine_context> ctx) {
  return {
      [ctx](const load_process& q) {
        auto epoch = caught_up_epoch(*ctx, q.process_id);
        if (!epoch.ok()) return loaded_process{epoch.error(), std::nullopt};
        auto stored = ctx->store.load_process(q.process_id);
        if (!stored.ok()) return loaded_process{stored.error(), std::nullopt};
        return loaded_process{{}, std::move(stored).value(), epoch.value()};
      },
      [ctx](const load_partition& q) { return load(*ctx, q); },
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
      [ctx](const load_scope_settings& q) {
        scope_settings_loaded out;
        auto raw = ctx->store.scope_settings_raw(q.scope);
        if (!raw.ok()) {
          out.read = raw.error();
        } else if (raw.value()) {
          out.found = true;
          out.stored = std::move(*raw.value());
        }
        return out;
      },
      [ctx](const load_job_steps&) {
        job_steps_loaded out;
        out.read = ctx->store.for_each_recovery_need(
            [&](std::string_view id, const model::recovery_need& need) {
              if (need.kind == model::recovery_kind::job && ctx->owns_process(id))
                out.process_ids.emplace_back(id);
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
