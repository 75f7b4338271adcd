#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/definition.hpp"

namespace baton::actors {

/// Every deployed version of every definition, readable from any thread. Definitions are
/// immutable once deployed, so readers share them by pointer.
class definition_registry {
 public:
  using definition_ptr = std::shared_ptr<const model::definition>;

  /// The latest version, or the given one; null when unknown. `name` may be the 24-hex id.
  definition_ptr find(std::string_view name, std::optional<std::int64_t> version = {}) const;
  /// Latest version of every definition, by name.
  std::vector<definition_ptr> latest() const;
  /// The name of every definition, for suggesting one to a caller who mistyped it.
  std::vector<std::string> names() const;
  /// Adds a deployed version (versions arrive in increasing order per name).
  void add(definition_ptr def);

  /// The retirement of `name` (or its id), when it is retired: no new process may start it.
  std::optional<model::retirement> retirement(std::string_view name) const;
  void retire(const std::string& name, model::retirement r);
  /// Deployed again: new processes may start it.
  void restore(std::string_view name);
  /// Replaces every retirement (a cluster node learning them from the log).
  void set_retirements(std::map<std::string, model::retirement, std::less<>> retired);

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::vector<definition_ptr>, std::less<>> by_name_;
  std::map<std::string, std::string, std::less<>> name_by_id_;
  std::map<std::string, model::retirement, std::less<>> retired_;
};

}  // namespace baton::actors
