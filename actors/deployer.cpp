#include "actors/deployer.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <type_traits>
#include <variant>

#include "actors/context.hpp"
#include "actors/durable_write.hpp"

namespace baton::actors {

namespace {

/// A version being written, and who waits for it. `is_new` is false when a retired name is
/// deployed again with the source of its latest version: only the retirement is erased.
struct pending_deploy {
  std::shared_ptr<const model::definition> definition;
  bool is_new = true;
  caf::typed_response_promise<deploy_answer> answer;
};

/// A retirement being written, and who waits for it.
struct pending_retire {
  std::shared_ptr<const model::definition> definition;
  model::retirement retired;
  caf::typed_response_promise<retire_answer> answer;
};

struct deployer_state {
  static inline const char* name = "baton.deployer";
  std::shared_ptr<engine_context> ctx;
  /// The next version per name, once a deploy of it was seen; else the registry's latest + 1.
  std::map<std::string, std::int64_t, std::less<>> next_version;
  std::map<std::uint64_t, std::variant<pending_deploy, pending_retire>> writing;
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

/// Definitions are the same on every node of a cluster, so their writes are cluster-wide.
storage::batch definitions_batch() {
  storage::batch b;
  b.set_scope({storage::write_scope::cluster_wide, 0});
  return b;
}

void submit(deployer_self self, storage::batch b,
            std::variant<pending_deploy, pending_retire> pending) {
  auto& st = self->state;
  auto token = ++st.token;
  st.writing.emplace(token, std::move(pending));
  submit_durable(st.ctx->store.committer(), caf::actor_cast<deployer_actor>(self), token,
                 std::move(b));
}

caf::result<deploy_answer> on_deploy(deployer_self self, deploy_definition& cmd) {
  auto& st = self->state;
  auto& def = cmd.definition;
  auto latest = st.ctx->definitions.find(def.name);
  bool retired = st.ctx->definitions.retirement(def.name).has_value();
  bool same = latest && latest->source == def.source;
  if (same && !retired) return deploy_answer{engine_errc::ok, {}, latest, false};
  auto b = definitions_batch();
  if (retired) st.ctx->store.erase_retirement(b, def.name);
  auto answer = self->make_response_promise<deploy_answer>();
  if (same) {
    submit(self, std::move(b), pending_deploy{latest, false, answer});
    return answer;
  }
  def.version = take_version(st, def.name);
  auto deployed = std::make_shared<const model::definition>(std::move(def));
  st.ctx->store.put_definition(b, *deployed);
  submit(self, std::move(b), pending_deploy{deployed, true, answer});
  return answer;
}

caf::result<retire_answer> on_retire(deployer_self self, retire_definition& cmd) {
  auto& st = self->state;
  auto latest = st.ctx->definitions.find(cmd.name);
  if (!latest) {
    return retire_answer{
        engine_errc::unknown_definition, "unknown definition \"" + cmd.name + "\"", nullptr, {}};
  }
  if (auto already = st.ctx->definitions.retirement(latest->name)) {
    return retire_answer{engine_errc::ok, {}, latest, *already};
  }
  model::retirement r{st.ctx->now_ms(), std::move(cmd.by)};
  auto b = definitions_batch();
  st.ctx->store.put_retirement(b, latest->name, r);
  auto answer = self->make_response_promise<retire_answer>();
  submit(self, std::move(b), pending_retire{latest, std::move(r), answer});
  return answer;
}

void deployed(deployer_self self, const write_done& done, pending_deploy& p) {
  auto& st = self->state;
  if (!done.written.ok()) {
    if (p.is_new) {
      // The version was not stored: the next deploy of this name may take it.
      auto& next = st.next_version[p.definition->name];
      if (next == p.definition->version + 1) next = p.definition->version;
    }
    auto message = storage_message(done.written, "deploying " + p.definition->name);
    p.answer.deliver(deploy_answer{errc_of(done.written), std::move(message), nullptr, false});
    return;
  }
  if (p.is_new) st.ctx->definitions.add(p.definition);
  st.ctx->definitions.restore(p.definition->name);
  p.answer.deliver(deploy_answer{engine_errc::ok, {}, p.definition, p.is_new});
}

void retired(deployer_self self, const write_done& done, pending_retire& p) {
  if (!done.written.ok()) {
    auto message = storage_message(done.written, "retiring " + p.definition->name);
    p.answer.deliver(retire_answer{errc_of(done.written), std::move(message), nullptr, {}});
    return;
  }
  self->state.ctx->definitions.retire(p.definition->name, p.retired);
  p.answer.deliver(retire_answer{engine_errc::ok, {}, p.definition, p.retired});
}

void on_written(deployer_self self, const write_done& done) {
  auto& st = self->state;
  auto it = st.writing.find(done.token);
  if (it == st.writing.end()) return;
  auto pending = std::move(it->second);
  st.writing.erase(it);
  std::visit(
      [&](auto& p) {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, pending_deploy>)
          deployed(self, done, p);
        else
          retired(self, done, p);
      },
      pending);
}

deployer_actor::behavior_type deployer(deployer_self self, std::shared_ptr<engine_context> ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](deploy_definition& cmd) { return on_deploy(self, cmd); },
      [=](retire_definition& cmd) { return on_retire(self, cmd); },
      [=](const write_done& done) { on_written(self, done); },
  };
}

}  // namespace

deployer_actor spawn_deployer(scheduler_actor::pointer parent,
                              std::shared_ptr<engine_context> ctx) {
  return parent->spawn<caf::monitored>(deployer, std::move(ctx));
}

}  // namespace baton::actors
