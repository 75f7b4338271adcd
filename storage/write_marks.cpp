#include "storage/write_marks.hpp"

#include <functional>

namespace baton::storage {

write_marks::write_marks() : slots_(std::make_unique<slot[]>(slot_count)) {}

write_marks::slot& write_marks::slot_of(std::string_view key) const {
  return slots_[std::hash<std::string_view>{}(key) & (slot_count - 1)];
}

// Sequentially consistent throughout: a reader that takes a mark and then reads the value must
// not have that read ordered before the mark, nor a writer its write before `writing`.
void write_marks::writing(std::string_view key) { slot_of(key).started.fetch_add(1); }

void write_marks::written(std::string_view key) { slot_of(key).finished.fetch_add(1); }

std::optional<std::uint64_t> write_marks::mark(std::string_view key) const {
  const auto& s = slot_of(key);
  // `finished` first: started ≥ finished always, so equal loads in this order mean no write
  // was under way when `finished` was read and none began before `started` was.
  auto finished = s.finished.load();
  auto started = s.started.load();
  if (started != finished) return std::nullopt;
  return started;
}

}  // namespace baton::storage
