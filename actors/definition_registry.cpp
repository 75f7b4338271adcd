#include "actors/definition_registry.hpp"

#include <mutex>

namespace baton::actors {

definition_registry::definition_ptr definition_registry::find(
    std::string_view name, std::optional<std::int64_t> version) const {
  std::shared_lock lock(mutex_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    auto alias = name_by_id_.find(name);
    if (alias == name_by_id_.end()) return nullptr;
    it = by_name_.find(alias->second);
  }
  const auto& versions = it->second;
  if (!version) return versions.back();
  for (const auto& d : versions) {
    if (d->version == *version) return d;
  }
  return nullptr;
}

std::vector<definition_registry::definition_ptr> definition_registry::latest() const {
  std::shared_lock lock(mutex_);
  std::vector<definition_ptr> out;
  for (const auto& [name, versions] : by_name_) out.push_back(versions.back());
  return out;
}

std::vector<std::string> definition_registry::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, versions] : by_name_) out.push_back(name);
  return out;
}

void definition_registry::add(definition_ptr def) {
  std::unique_lock lock(mutex_);
  name_by_id_[def->id] = def->name;
  by_name_[def->name].push_back(std::move(def));
}

std::optional<model::retirement> definition_registry::retirement(std::string_view name) const {
  std::shared_lock lock(mutex_);
  if (auto alias = name_by_id_.find(name); alias != name_by_id_.end()) name = alias->second;
  auto it = retired_.find(name);
  if (it == retired_.end()) return std::nullopt;
  return it->second;
}

void definition_registry::retire(const std::string& name, model::retirement r) {
  std::unique_lock lock(mutex_);
  retired_.insert_or_assign(name, std::move(r));
}

void definition_registry::restore(std::string_view name) {
  std::unique_lock lock(mutex_);
  if (auto it = retired_.find(name); it != retired_.end()) retired_.erase(it);
}

void definition_registry::set_retirements(
    std::map<std::string, model::retirement, std::less<>> retired) {
  std::unique_lock lock(mutex_);
  retired_ = std::move(retired);
}

}  // namespace baton::actors
