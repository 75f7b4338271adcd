#include "actors/recovery_scan.hpp"

#include <string>
#include <vector>

namespace baton::actors {

storage::status scan_recovery(storage::process_store& store,
                              const std::function<bool(std::string_view id)>& keep,
                              recovery_scan& out) {
  // The index is in id order, and a child's id is its parent's and ".<n>": a process comes
  // right before its descendants. `line` holds the active process and its active ancestors
  // last seen, so a child whose parent is not there has a parent that ended.
  std::vector<std::string> line;
  return store.for_each_recovery_need([&](std::string_view id, model::recovery_need need) {
    if (!keep(id)) return;
    ++out.active;
    auto descends = [&](const std::string& ancestor) {
      return id.size() > ancestor.size() && id.starts_with(ancestor) && id[ancestor.size()] == '.';
    };
    while (!line.empty() && !descends(line.back())) line.pop_back();
    if (auto dot = id.rfind('.'); dot != std::string_view::npos) {
      if (line.empty() || line.back().size() != dot) out.work.orphans.emplace_back(id);
    }
    line.emplace_back(id);
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
      case model::recovery_kind::children:  // loaded to start again the children it waits for
      case model::recovery_kind::job:       // loaded to tell the job board and arm its lease
        out.work.reissue.emplace_back(id);
        break;
    }
  });
}

}  // namespace baton::actors
