#include "actors/messages.hpp"

#include <caf/actor_system_config.hpp>
#include <utility>

namespace baton::actors {

namespace {

template <caf::type_id_t... Is>
void add_each(caf::actor_system_config& cfg, std::integer_sequence<caf::type_id_t, Is...>) {
  constexpr auto first = caf::id_block::baton::begin;
  (cfg.add_message_type<typename caf::type_by_id<first + Is>::type>(
       caf::type_name_by_id<first + Is>::value),
   ...);
}

}  // namespace

void add_message_types(caf::actor_system_config& cfg) {
  using block = caf::id_block::baton;
  add_each(cfg, std::make_integer_sequence<caf::type_id_t, block::end - block::begin>{});
}

}  // namespace baton::actors
