#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace baton::config {

using millis = std::chrono::milliseconds;

/// Listener limits and TLS. Every limit exists so that a bad client gets a 4xx, never a crash.
struct http_settings {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one
  std::size_t io_threads = 2;
  std::size_t body_limit = 1 << 20;     ///< bytes; larger bodies get 413
  std::size_t header_limit = 16 << 10;  ///< bytes; larger headers get 431
  millis header_timeout{10'000};        ///< deadline to read a request's header
  millis idle_timeout{60'000};          ///< keep-alive connection idle limit
  std::size_t pipeline_limit = 16;      ///< requests queued per connection
  millis body_timeout{20'000};          ///< deadline to read a body once its header is in
  millis write_timeout{15'000};         ///< an answer not taken within this closes the connection
  /// Answer bytes waiting to be written on one connection: beyond this it reads no more
  /// requests, and the answer in hand must be taken within `drain_timeout`.
  std::size_t max_buffered_per_connection = 1 << 20;
  /// The same over all connections: beyond it, every connection with answers pending
  /// reads no more and must take them within `drain_timeout`.
  std::size_t max_buffered_total = 64 << 20;
  millis drain_timeout{2'000};
  /// Connections held at once; a connection beyond it gets 503 and is closed at once.
  std::size_t max_connections = 4096;
  std::string tls_cert;  ///< PEM file; TLS is on when both are set
  std::string tls_key;
  /// true: GET /metrics answers without credentials (a scraper on a trusted network).
  /// false: it needs any authenticated client, as every native read does.
  bool metrics_public = false;

  bool operator==(const http_settings&) const = default;
};

enum class durability { sync, async };

/// A size worked out from the data volume when the server starts (the default of the two
/// sizes below): see each.
inline constexpr std::size_t size_from_volume = SIZE_MAX;

struct storage_settings {
  std::string data_dir = "./data";
  durability mode = durability::sync;
  /// Below this much free space on the data volume every write is refused with 507 (reads go
  /// on) until space returns. Default: 256 MiB or 2 % of the volume, whichever is smaller;
  /// 0 turns the check off.
  std::size_t min_free_bytes = size_from_volume;
  /// A file of this size kept in the data folder and deleted at start-up when the volume is
  /// too full to open the store. Default: 64 MiB or 1 % of the volume, whichever is smaller;
  /// 0 keeps none.
  std::size_t ballast_bytes = size_from_volume;

  bool operator==(const storage_settings&) const = default;
};

enum class engine_mode { normal, sandbox };

struct engine_settings {
  std::string definitions_dir;     ///< deployed at start when set
  millis passivate_after{30'000};  ///< idle waiting processes leave memory after this
  engine_mode mode = engine_mode::normal;
  std::string time_zone;         ///< IANA zone for vendor date strings; empty: local
  bool parallel_scopes = false;  ///< job workflow: scopes run in parallel
  /// A long poll woken by a job waits this long for more (up to its `max`) before it answers,
  /// so that a busy type is leased in batches; 0 answers at once.
  millis job_activation_hold{2};

  bool operator==(const engine_settings&) const = default;
};

struct outgoing_settings {
  std::vector<std::string> allow_hosts;  ///< "host" or "host:port"; empty allows none
  millis default_timeout{10'000};
  std::size_t callback_attempts = 8;  ///< tries per callback before it is given up (logged)
  millis callback_backoff{1'000};     ///< wait before the first retry; doubles, up to 5 min
  /// Callbacks out at once over all processes: a burst of endings must not open thousands of
  /// connections to one receiver. The rest wait their turn, each process's in order.
  std::size_t callback_max_in_flight = 64;

  bool operator==(const outgoing_settings&) const = default;
};

struct auth_settings {
  bool required = true;                  ///< false: every caller is admin (tests, demos)
  std::vector<std::string> api_keys;     ///< static admin API keys, beside the clients' own
  std::vector<std::string> basic_users;  ///< static admin "user:password" pairs for Basic
  millis token_ttl{7'200'000};           ///< OAuth access tokens expire after this
  millis session_ttl{1'800'000};         ///< idle sessions expire after this (sliding)
  std::string oauth_host;                ///< when set, X-Forwarded-Host must equal it
  /// Argon2 password checks that may run at once; more get 503 with Retry-After. Each costs
  /// ~19 MiB and tens of ms of a core, and they run on the I/O threads: a bound here keeps
  /// a flood of wrong passwords from taking every thread from the other clients.
  std::size_t password_checks_at_once = 1;

  bool operator==(const auth_settings&) const = default;
};

/// Several nodes over etcd (DESIGN.md, Cluster). Without `etcd` the node runs alone, as a
/// single server, and the other keys are not used.
struct cluster_settings {
  std::vector<std::string> etcd;  ///< etcd client URLs, "http://127.0.0.1:2379"
  std::string node;               ///< this node's name, unique in the cluster; required with etcd
  std::string name = "baton";     ///< the cluster's keys in etcd live under /baton/<name>/
  /// How many partitions the work is split into. Fixed when the cluster first forms (stored in
  /// etcd); a node configured otherwise later takes the stored count and says so.
  std::size_t partitions = 16;
  /// A node that has not renewed its lease for this long loses its partitions to the others.
  /// etcd counts leases in whole seconds: rounded up.
  millis lease{5'000};

  bool operator==(const cluster_settings&) const = default;
};

struct settings {
  http_settings http;
  storage_settings storage;
  engine_settings engine;
  outgoing_settings outgoing;
  auth_settings auth;
  cluster_settings cluster;

  bool operator==(const settings&) const = default;
};

/// One invalid setting: its dotted key, where the value came from, and why it is wrong.
struct problem {
  std::string key;     ///< e.g. "http.body_limit"; empty when the whole file is at fault
  std::string source;  ///< "baton.toml:12", "env BATON_HTTP__BODY_LIMIT", "flag http.listen"
  std::string message;
};

struct load_result {
  settings values;
  std::vector<problem> problems;  ///< empty when every setting was valid
};

/// Loads settings from, in rising precedence: defaults, the TOML file (if `file` is set),
/// `BATON_SECTION__KEY` variables from `environment`, and `flags` (dotted key → value).
/// Every problem in every source is reported at once; nothing stops at the first.
/// File keys are `[section] key`; variables are `BATON_SECTION__KEY` (a list is comma-separated,
/// empty entries dropped); flags are dotted, `section.key`. Unknown keys, and every `BATON_*`
/// variable that names no key, are problems so that typos surface. Sizes take bytes or a string
/// such as "16KiB"; durations are integer milliseconds in keys ending `_ms`.
/// @returns the merged values and the problems; the caller must not start when there are any.
load_result load(const std::optional<std::string>& file,
                 const std::map<std::string, std::string>& environment,
                 const std::map<std::string, std::string>& flags);

/// The process environment as a map, for `load`.
std::map<std::string, std::string> process_environment();

}  // namespace baton::config
