#include "actors/recovery_scan.hpp"

namespace baton::actors {

storage::status scan_recovery(storage::process_store& store,
                              const std::function<bool(std::string_view id)>& keep,
                              recovery_scan& out) {
  return store.for_each_recovery_need([&](std::string_view id, model::recovery_need need) {
    if (!keep(id)) return;
    ++out.active;
    if (!need.scope.empty()) {
      // Scope queues come back in id (= creation) order: the index is scanned in that order.
      auto it = out.scopes.find(need.scope);
      if (it == out.scopes.end())
        it = out.scopes.emplace(need.scope, scope_restore{need.scope, {}, {}}).first;
      auto& list =
          need.kind == model::recovery_kind::queued ? it->second.queued : it->second.running;
      list.emplace_back(id);
    }
    switch (need.kind) {
      case model::recovery_kind::none:
        break;
      case model::recovery_kind::queued:
        if (need.scope.empty()) out.work.admit.emplace_back(id);
        break;
      case model::recovery_kind::timer:
        out.work.timers.push_back(arm_timer{std::string(id), std::move(need.step_id), need.due_ms});
        break;
      case model::recovery_kind::retry:
        out.work.retries.push_back(
            schedule_retry{std::string(id), std::move(need.step_id), need.due_ms});
        break;
      case model::recovery_kind::reissue:
      case model::recovery_kind::job:  // loaded to tell the job board and arm its lease
        out.work.reissue.emplace_back(id);
        break;
    }
  });
}

}  // namespace baton::actors
