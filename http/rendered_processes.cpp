#include "http/rendered_processes.hpp"

#include <functional>

namespace baton::http {

rendered_processes::rendered_processes(std::size_t budget_bytes)
    : budget_(budget_bytes), sets_(std::make_unique<set[]>(sets)) {}

rendered_processes::set& rendered_processes::set_of(std::string_view id) const {
  return sets_[std::hash<std::string_view>{}(id) % sets];
}

std::optional<rendered_processes::answer> rendered_processes::find(std::string_view id,
                                                                   std::uint64_t mark) const {
  auto& s = set_of(id);
  std::lock_guard guard(s.lock);
  for (const auto& e : s.entries) {
    if (e.id == id) return e.mark == mark ? std::optional(e.kept) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<rendered_processes::answer> rendered_processes::find(
    std::string_view id, std::string_view snapshot, std::optional<std::uint64_t> mark) {
  auto& s = set_of(id);
  std::lock_guard guard(s.lock);
  for (auto& e : s.entries) {
    if (e.id == id) {
      if (e.snapshot != snapshot) return std::nullopt;  // changed since: rendered anew
      e.mark = mark;
      return e.kept;
    }
  }
  return std::nullopt;
}

void rendered_processes::keep(std::string_view id, std::string_view snapshot,
                              std::optional<std::uint64_t> mark, answer a) {
  std::size_t size = id.size() + snapshot.size() + a.definition.size() + a.json.size();
  if (size > max_entry_bytes) return;
  auto& s = set_of(id);
  std::lock_guard guard(s.lock);
  // The process' own entry if it has one (an older state), else the oldest of the set.
  entry* slot = nullptr;
  for (auto& e : s.entries) {
    if (e.id == id) slot = &e;
  }
  if (!slot) {
    slot = &s.entries[s.next];
    s.next = (s.next + 1) % ways;
  }
  std::size_t freed = slot->size();
  // Budget checked under the set's lock only: sets racing may overshoot it by a few entries.
  if (bytes_.load(std::memory_order_relaxed) - freed + size > budget_) {
    // No room: the slot is emptied all the same, so that a full cache keeps turning over.
    *slot = entry{};
    bytes_.fetch_sub(freed, std::memory_order_relaxed);
    return;
  }
  slot->id.assign(id);
  slot->snapshot.assign(snapshot);
  slot->mark = mark;
  slot->kept = std::move(a);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  bytes_.fetch_sub(freed, std::memory_order_relaxed);
}

}  // namespace baton::http
