#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace baton::model {

/// Makes 24-hex-digit ids that sort in creation order: 48 bits of milliseconds, 16 bits of
/// node id, 32 bits of a per-node sequence. Not thread-safe: one generator per owner.
class id_generator {
 public:
  explicit id_generator(std::uint16_t node, std::uint32_t seed = 0) : node_(node), seq_(seed) {}
  std::string next(std::int64_t now_ms) { return next(now_ms, node_); }
  /// An id whose node bits are `node`: in a cluster, the partition it belongs to.
  std::string next(std::int64_t now_ms, std::uint16_t node);

 private:
  std::uint16_t node_;
  std::uint32_t seq_;
  std::int64_t last_ms_ = 0;
};

/// Whether `id` has the shape of an id this generator makes (24 lowercase hex digits).
bool is_id(std::string_view id);

/// The longest name or id a client may give (definition, step, input, scope, schedule,
/// client, idempotency key...): they are keys and labels, and a 10 KB one only costs.
inline constexpr std::size_t max_name_bytes = 200;

/// A stable 24-hex id derived from a name (FNV-1a based), for definitions.
std::string id_from_name(std::string_view name);

}  // namespace baton::model
