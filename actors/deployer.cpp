#include "actors/deployer.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>

#include "actors/context.hpp"
#include "actors/durable_write.hpp"

namespace baton::actors {

namespace {

/// A version being written, and who waits for it.
struct pending_deploy {
  std::shared_ptr<const model::definition> definition;
  caf::typed_response_promise<deploy_answer> answer;
};

struct deployer_state {
  static inline const char* name = "baton.deployer";
  std::shared_ptr<engine_context> ctx;
  /// The next version per name, once a deploy of it was seen; else the registry's latest + 1.
  std::map<std::string, std::int64_t, std::less<>> next_version;
  std::map<std::uint64_t, pending_deploy> writing;
  std::uint64_t token = 0;
};

using deployer_self = deployer_actor::stateful_pointer<deployer_state>;

std::int64_t take_version(deployer_state& st, const std::string& name) {
  auto it = st.next_version.find(name);
  if (it == st.next_version.end()) {
    auto latest = st.ctx->definitions.find(name);
    it = st.next_version.emplace(name, latest ? latest->version + 1 : 1).first;
  }
  return it->second++;
}

caf::result<deploy_answer> on_deploy(deployer_self self, deploy_definition& cmd) {
  auto& st = self->state;
  auto& def = cmd.definition;
  auto latest = st.ctx->definitions.find(def.name);
  if (latest && latest->source == def.source)
    return deploy_answer{engine_errc::ok, {}, latest, false};
  def.version = take_version(st, def.name);
  auto deployed = std::make_shared<const model::definition>(std::move(def));
  storage::batch b;
  b.set_scope({storage::write_scope::cluster_wide, 0});
  st.ctx->store.put_definition(b, *deployed);
  auto token = ++st.token;
  auto answer = self->make_response_promise<deploy_answer>();
  st.writing.emplace(token, pending_deploy{deployed, answer});
  submit_durable(st.ctx->store.committer(), caf::actor_cast<deployer_actor>(self), token,
                 std::move(b));
  return answer;
}

void on_written(deployer_self self, const write_done& done) {
  auto& st = self->state;
  auto it = st.writing.find(done.token);
  if (it == st.writing.end()) return;
  auto [deployed, answer] = std::move(it->second);
  st.writing.erase(it);
  if (!done.written.ok()) {
    // The version was not stored: the next deploy of this name may take it.
    auto& next = st.next_version[deployed->name];
    if (next == deployed->version + 1) next = deployed->version;
    auto message = storage_message(done.written, "deploying " + deployed->name);
    answer.deliver(deploy_answer{errc_of(done.written), std::move(message), nullptr, false});
    return;
  }
  st.ctx->definitions.add(deployed);
  answer.deliver(deploy_answer{engine_errc::ok, {}, deployed, true});
}

deployer_actor::behavior_type deployer(deployer_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](deploy_definition& cmd) { return on_deploy(self, cmd); },
      [=](const write_done& done) { on_written(self, done); },
  };
}

}  // namespace

deployer_actor spawn_deployer(scheduler_actor::pointer parent,
                              std::shared_ptr<engine_context> ctx) {
  return parent->spawn<caf::monitored>(deployer, std::move(ctx));
}

}  // namespace baton::actors
