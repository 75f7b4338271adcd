#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "actors/cluster_log.hpp"
#include "actors/cluster_member.hpp"
#include "actors/cluster_node.hpp"
#include "actors/cluster_seed.hpp"
#include "actors/cluster_trimmer.hpp"
#include "actors/definition_registry.hpp"
#include "actors/engine.hpp"
#include "cmd/commands.hpp"
#include "http/admin_api.hpp"
#include "http/auth/auth_api.hpp"
#include "http/auth/authenticator.hpp"
#include "http/auth/grants.hpp"
#include "http/auth/secrets.hpp"
#include "http/callback_bodies.hpp"
#include "http/cluster_api.hpp"
#include "http/compat/job_workflow.hpp"
#include "http/compat/process_engine.hpp"
#include "http/compat/scheduler_connector.hpp"
#include "http/compat/workfloo.hpp"
#include "http/definition_api.hpp"
#include "http/job_api.hpp"
#include "http/message_api.hpp"
#include "http/metrics.hpp"
#include "http/native_api.hpp"
#include "http/openapi_api.hpp"
#include "http/retry_api.hpp"
#include "http/router.hpp"
#include "http/schedule_api.hpp"
#include "http/server.hpp"
#include "http/task_api.hpp"
#include "http/ui_api.hpp"
#include "model/clock.hpp"
#include "outgoing/client.hpp"
#include "storage/audit_log.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"
#include "storage/snapshot.hpp"

namespace baton::cmd {

namespace {

/// The largest store a node copies to another joining behind the trimmed log: the copy is
/// held in memory on both. A larger cluster seeds a node from a copy of a data folder.
constexpr std::uint64_t snapshot_limit = std::uint64_t{1} << 30;
/// How long a joining node waits for one peer's copy.
constexpr auto snapshot_timeout = std::chrono::minutes(5);

/// Raises the soft limit on open descriptors to the hard one: the default soft limit (often
/// 1024) is what a few hundred idle clients exhaust, and the listener cannot answer anyone
/// once it is reached. Warns when `max_connections` does not fit under the result.
void raise_descriptor_limit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot read the open-file limit: {}", std::strerror(errno));
    return;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    auto before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      spdlog::info("open-file limit raised from {} to {}", before, limit.rlim_cur);
    } else {
      spdlog::warn("cannot raise the open-file limit from {}: {}", before, std::strerror(errno));
      limit.rlim_cur = before;
    }
  }
  // The store, the log and outgoing calls need descriptors beside the connections.
  constexpr rlim_t reserve = 256;
  if (limit.rlim_cur != RLIM_INFINITY && max_connections + reserve > limit.rlim_cur)
    spdlog::warn(
        "http.max_connections = {} does not fit the open-file limit {}: clients beyond "
        "about {} will not be answered",
        max_connections, limit.rlim_cur, limit.rlim_cur > reserve ? limit.rlim_cur - reserve : 0);
}

/// Deploys every *.json in `dir` (sorted by name); a file that does not validate stops start-up.
bool deploy_directory(actors::engine& engine, const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) {
    spdlog::error("definitions folder {}: {}", dir, ec.message());
    return false;
  }
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = storage::parse_definition(text.str());
    if (auto* problems = std::get_if<std::vector<model::definition_problem>>(&parsed)) {
      for (const auto& p : *problems) spdlog::error("{}: {}", file.string(), p.to_string());
      ok = false;
      continue;
    }
    std::promise<actors::deploy_answer> done;
    engine.deploy(std::move(std::get<model::definition>(parsed)),
                  [&done](actors::deploy_answer a) { done.set_value(std::move(a)); });
    auto answer = done.get_future().get();
    if (answer.code != actors::engine_errc::ok) {
      spdlog::error("{}: {}", file.string(), answer.message);
      ok = false;
    } else {
      spdlog::info("definition {} v{} ({})", answer.definition->name, answer.definition->version,
                   answer.created ? "deployed" : "unchanged");
    }
  }
  return ok;
}

}  // namespace

int serve(const std::optional<std::string>& config_file,
          const std::map<std::string, std::string>& flags, bool print_routes) {
  auto loaded = config::load(config_file, config::process_environment(), flags);
  if (!loaded.problems.empty()) {
    for (const auto& p : loaded.problems) {
      std::cerr << p.source << ": " << p.key << ": " << p.message << "\n";
    }
    return 2;
  }
  const auto& settings = loaded.values;
  raise_descriptor_limit(settings.http.max_connections);

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  bool sync = settings.storage.mode == config::durability::sync;
  if (!sync) spdlog::warn("storage.mode = async: an acknowledged write may be lost in a crash");
  storage::store_options options;
  options.sync = sync;
  options.min_free_bytes = settings.storage.min_free_bytes;
  options.ballast_bytes = settings.storage.ballast_bytes;
  auto open_store = [&]() -> std::unique_ptr<storage::process_store> {
    auto opened = storage::process_store::open(settings.storage.data_dir, options);
    if (!opened.ok()) {
      spdlog::error("cannot open the store in {}: {}", settings.storage.data_dir,
                    opened.error().describe());
      if (opened.error().code() == storage::storage_errc::no_space) {
        spdlog::error(
            "the data volume is full: free space on it (the ballast, if any, is gone "
            "already) and start again");
      }
      return nullptr;
    }
    auto store = std::move(opened).value();
    for (const auto& note : store->opening_notes()) spdlog::warn("{}", note);
    store->committer().on_refusal_change([](const storage::status& now) {
      if (now.ok()) {
        spdlog::warn("storage: writes are taken again");
      } else {
        spdlog::warn("storage: writes refused until this clears: {}", now.describe());
      }
    });
    return store;
  };
  auto store = open_store();
  if (!store) return 1;
  // In a cluster, the node joins and its store catches up with the cluster's log before the
  // engine recovers from it; from then on every commit goes through the log.
  const bool clustered = !settings.cluster.etcd.empty();
  std::unique_ptr<actors::cluster_member> member;
  std::unique_ptr<actors::cluster_log> log;
  std::unique_ptr<outgoing::client> peers;  // calls to the other nodes
  std::unique_ptr<actors::cluster_forwarder> forwarder;
  std::unique_ptr<actors::cluster_node> node;  // the engine's view of the three
  std::unique_ptr<actors::cluster_trimmer> trimmer;
  if (clustered) {
    member = std::make_unique<actors::cluster_member>(settings.cluster);
    auto failed = member->join();
    if (failed.empty()) {
      // The one client for calls to the other nodes: the copy of a store below (with its own
      // size and time limits) and the commands forwarded later.
      outgoing::client_options between_nodes;
      between_nodes.any_host = true;
      peers = std::make_unique<outgoing::client>(settings.outgoing, between_nodes);
      log = std::make_unique<actors::cluster_log>(*member, store->database());
      if (log->check_floor().behind()) {
        // The log no longer reaches back to this store (a new, empty folder): it starts
        // from a copy of a live node's store. Without one, `start` says what to do.
        std::string archive;
        auto why =
            actors::fetch_peer_snapshot(*member, *peers, snapshot_timeout, snapshot_limit, archive);
        if (why.empty()) {
          log.reset();
          store.reset();
          auto installed = storage::install_snapshot(
              archive, settings.storage.data_dir,
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count()));
          if (!installed.ok()) {
            spdlog::error("cannot install the copy of another node's store: {}", installed.detail);
            return 1;
          }
          spdlog::warn(
              "cluster: this node's store was behind the trimmed log; it starts from a copy "
              "of another node's ({} files, {} bytes); the old one is kept as db.behind-*",
              installed.summary.files, installed.summary.bytes);
          store = open_store();
          if (!store) return 1;
          log = std::make_unique<actors::cluster_log>(*member, store->database());
        } else {
          spdlog::warn("cluster: no copy of another node's store: {}", why);
        }
      }
      failed = log->start();
    }
    if (!failed.empty()) {
      spdlog::error("cannot join cluster {} at {}: {}", settings.cluster.name,
                    settings.cluster.etcd.front(), failed);
      log.reset();
      member.reset();
      return 1;
    }
    store->committer().replicate_through(log.get());
    forwarder = std::make_unique<actors::cluster_forwarder>(*member, *peers);
    node = std::make_unique<actors::cluster_node>(*member, *log, *forwarder);
    trimmer = std::make_unique<actors::cluster_trimmer>(*member, *log, member->lease_duration());
  }
  // However serve ends, the committer stops writing through the log before the log goes.
  struct unhook {
    std::unique_ptr<storage::process_store>& store;  // gone already after a clean shut-down
    ~unhook() {
      if (store) store->committer().replicate_through(nullptr);
    }
  } unhook_log{store};
  if (clustered) {
    // Its share first, so that recovery resumes what this node will run.
    if (!member->wait_settled(2 * member->lease_duration()))
      spdlog::warn("cluster: this node's share of the partitions is not settled yet");
  }
  auto delegates = std::make_unique<outgoing::client>(settings.outgoing);
  // The one wall clock of this server: the engine's actors, the front ends (through the
  // engine) and auth all read it.
  const model::clock_ms clock = model::system_clock_ms;
  auto created = actors::engine::create(settings, *store, *delegates, clock,
                                        http::callback_bodies(clock), node.get());
  if (!created.ok()) {
    spdlog::error("cannot recover from the store in {}: {} (see `baton db check`)",
                  settings.storage.data_dir, created.error().describe());
    return 1;
  }
  auto engine = std::move(created).value();
  if (log) {
    // Definitions deployed on other nodes reach this one through the log.
    auto learn = [&store, registry = &engine->definitions()] {
      auto loaded = store->load_definitions();
      if (!loaded.ok())
        return spdlog::warn("cluster: cannot read definitions: {}", loaded.error().describe());
      for (auto& def : loaded.value()) {
        if (!registry->find(def.name, def.version))
          registry->add(std::make_shared<const model::definition>(std::move(def)));
      }
      auto retired = store->load_retirements();
      if (!retired.ok())
        return spdlog::warn("cluster: cannot read retirements: {}", retired.error().describe());
      registry->set_retirements(std::move(retired).value());
    };
    log->on_applied(storage::cf::definitions, learn);
    learn();  // what was applied between recovery and now
  }
  if (!settings.engine.definitions_dir.empty() &&
      !deploy_directory(*engine, settings.engine.definitions_dir)) {
    engine->shutdown();
    return 2;
  }
  namespace auth = http::auth;
  auth::client_directory::agreement agree;
  if (member) {
    agree.agree = [&member](std::string_view name, const std::string& mine) {
      return member->shared_value(name, mine);
    };
    agree.release = [&member](std::string_view name, const std::string& mine) {
      member->release_value(name, mine);
    };
  }
  auth::client_directory clients(*store, settings.auth.password_checks_at_once, clock, agree);
  auth::grant_store grants(*store, clients.secret(), settings.auth.token_ttl,
                           settings.auth.session_ttl, clock);
  // Clients, tokens and sessions changed on other nodes reach this one through the log. The
  // hook forgets them before `clients` and `grants` go; it holds the log's owner, not the log,
  // because `shut_down` may have destroyed the log already (a raw pointer here was read after
  // its free on every cluster node's stop: found by ASan).
  struct auth_hook {
    std::unique_ptr<actors::cluster_log>& log;
    ~auth_hook() {
      if (log) log->on_applied(storage::cf::auth, nullptr);
    }
  } learn_auth{log};
  if (log) {
    log->on_applied(storage::cf::auth, [&clients, &grants] {
      for (auto read : {clients.reload(), grants.reload()})
        if (!read.ok())
          spdlog::warn("cluster: cannot read clients and tokens: {}", read.describe());
    });
  }
  // In a cluster, one node creates the first admin: two nodes starting at once would make two.
  auto first_to_bootstrap = [&member, &settings] {
    return !member ||
           member->shared_value("bootstrap", settings.cluster.node) == settings.cluster.node;
  };
  auth::throttle limits(clock);
  auth::audit_log audit(*store, clock);
  auth::authenticator authenticator(settings.auth, clients, grants, limits, audit);
  if (!settings.auth.required) {
    spdlog::warn("auth.required = false: every caller is an admin");
  } else if (auto key = print_routes || !first_to_bootstrap()
                            ? std::nullopt
                            : clients.bootstrap_admin(settings.storage.data_dir)) {
    // Shown once; no default password exists.
    std::cout << "created client \"admin\" with API key " << *key << " (also in "
              << settings.storage.data_dir << "/initial-admin-key)" << std::endl;
  }

  // Without a cluster, `GET /api/v1/cluster` shows this node alone.
  const auto host = settings.http.listen.substr(0, settings.http.listen.rfind(':'));
  std::atomic<std::uint16_t> api_port{0};  // known once the server listens

  auto routes = std::make_shared<http::router>();
  auto stats = std::make_shared<http::metrics>();
  // Made before its routes, which post blocking work to it; it listens once `start` runs.
  http::server server(settings.http, routes, stats);
  stats->add_collector([&engine, &member, &log, &trimmer](std::string& out) {
    engine->collect_metrics(out);
    if (member) member->collect_metrics(out);
    if (log) log->collect_metrics(out);
    if (trimmer) trimmer->collect_metrics(out);
    out += "# TYPE baton_password_hashes_total counter\nbaton_password_hashes_total " +
           std::to_string(auth::password_verifications()) + "\n";
  });
  http::add_native_routes(*routes, *engine, authenticator, stats, settings.http, settings.outgoing);
  http::add_definition_routes(*routes, *engine, authenticator, settings.outgoing);
  http::add_schedule_routes(*routes, *engine, authenticator);
  http::add_job_routes(*routes, *engine, authenticator);
  http::add_message_routes(*routes, *engine, authenticator);
  http::add_task_routes(*routes, *engine, authenticator);
  http::add_retry_routes(*routes, *engine, authenticator);
  http::add_openapi_routes(*routes);
  http::add_ui_routes(*routes);
  http::add_admin_routes(*routes, *engine, authenticator, server.blocking(),
                         settings.storage.data_dir);
  http::compat::add_scheduler_connector_routes(*routes, *engine, authenticator, settings);
  auth::add_auth_routes(*routes, authenticator);
  http::compat::add_job_workflow_routes(*routes, *engine, authenticator, settings);
  http::compat::add_process_engine_routes(*routes, *engine, authenticator);
  http::compat::add_workfloo_routes(*routes, *engine, authenticator, settings);
  http::add_cluster_routes(
      *routes, authenticator,
      [&member, &api_port, &settings, &host] {
        if (member) return member->view();
        model::cluster_view alone;
        alone.node = settings.cluster.node.empty() ? "local" : settings.cluster.node;
        alone.joined = true;
        alone.nodes.push_back(
            {alone.node, "http://" + host + ":" + std::to_string(api_port), true});
        return alone;
      },
      clustered);
  if (clustered) {
    http::add_cluster_command_route(*routes, *engine, member->secret());
    http::add_cluster_snapshot_route(*routes, server.blocking(), store->database(),
                                     settings.storage.data_dir, member->secret(), snapshot_limit);
    http::add_cluster_forget_route(*routes, authenticator, [&member](const std::string& name) {
      return member->forget(name);
    });
  }
  // Order matters: no actors, then no outgoing calls posting to them, then the actor
  // system, then the store.
  auto shut_down = [&] {
    engine->shutdown();  // its last writes still go through the cluster's log
    peers.reset();       // commands forwarded and not answered yet hear "client stopped"
    trimmer.reset();
    store->committer().replicate_through(nullptr);
    log.reset();
    member.reset();  // leaving frees its partitions at once: the others need not wait
    delegates.reset();
    engine.reset();
    store.reset();
  };
  if (print_routes) {
    for (const auto& r : routes->routes()) {
      std::cout << http::beast_http::to_string(r.method) << ' ' << r.pattern << '\n';
    }
    std::cout.flush();
    shut_down();
    return 0;
  }
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}: {}", settings.http.listen, e.what());
    shut_down();
    return 1;
  }
  api_port = server.port();
  std::cout << "baton listening on " << host << ":" << server.port() << std::endl;
  if (member) member->advertise("http://" + host + ":" + std::to_string(server.port()));

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {}: stopping", signal);
  server.stop();  // no new requests first
  shut_down();
  return 0;
}

}  // namespace baton::cmd
