#include "actors/recovery_scan.hpp"

#include <string>
#include <vector>

namespace baton::actors {

storage::status scan_recovery(storage::process_store& store,
                              const std::function<bool(std::string_view id)>& keep,
                              recovery_scan& out) {
  // The index is in id order, and a child's id is its parent's and ".<n>": a process comes
  // right before its descendants. `line` holds the active process and its active ancestors
  // last seen, each with whether it waits for children now. A child is an orphan when its
  // parent is not there (it ended), or when its parent no longer waits for children: a crash
  // came between the parent's end, or the join of an `any` or `atLeast` step, and the cancel
  // it sent. ("reissue" counts as waiting: a release before the `children` kind stored it
  // for parents too.)
  struct ancestor {
    std::string id;
    bool waits_for_children;
  };
  std::vector<ancestor> line;
  return store.for_each_recovery_need([&](std::string_view id, model::recovery_need need) {
    if (!keep(id)) return;
    ++out.active;
    auto descends = [&](const ancestor& a) {
      return id.size() > a.id.size() && id.starts_with(a.id) && id[a.id.size()] == '.';
    };
    while (!line.empty() && !descends(line.back())) line.pop_back();
    if (auto dot = id.rfind('.'); dot != std::string_view::npos) {
      bool parent_waits =
          !line.empty() && line.back().id.size() == dot && line.back().waits_for_children;
      if (!parent_waits) out.work.orphans.emplace_back(id);
    }
    line.push_back({std::string(id), need.kind == model::recovery_kind::children ||
                                         need.kind == model::recovery_kind::reissue});
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
