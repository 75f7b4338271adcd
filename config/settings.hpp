#pragma once

#include <chrono>
#include <cstddef>
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
  std::size_t body_limit = 1 << 20;       ///< bytes; larger bodies get 413
  std::size_t header_limit = 16 << 10;    ///< bytes; larger headers get 431
  millis header_timeout{10'000};          ///< deadline to read a request's header
  millis idle_timeout{60'000};            ///< keep-alive connection idle limit
  std::size_t pipeline_limit = 16;        ///< requests queued per connection
  std::string tls_cert;                   ///< PEM file; TLS is on when both are set
  std::string tls_key;
};

enum class durability { sync, async };

struct storage_settings {
  std::string data_dir = "./data";
  durability mode = durability::sync;
};

enum class engine_mode { normal, sandbox };

struct engine_settings {
  std::string definitions_dir;            ///< deployed at start when set
  millis passivate_after{30'000};         ///< idle waiting processes leave memory after this
  engine_mode mode = engine_mode::normal;
  std::string time_zone;                  ///< IANA zone for vendor date strings; empty: local
  bool parallel_scopes = false;           ///< job workflow: scopes run in parallel
};

struct outgoing_settings {
  std::vector<std::string> allow_hosts;   ///< "host" or "host:port"; empty allows none
  millis default_timeout{10'000};
};

struct auth_settings {
  std::vector<std::string> api_keys;      ///< native API keys (x-api-key)
};

struct settings {
  http_settings http;
  storage_settings storage;
  engine_settings engine;
  outgoing_settings outgoing;
  auth_settings auth;
};

/// One invalid setting: its dotted key, where the value came from, and why it is wrong.
struct problem {
  std::string key;     ///< e.g. "http.body_limit"
  std::string source;  ///< "baton.toml:12", "env BATON_HTTP__BODY_LIMIT", "flag --listen"
  std::string message;
};

struct load_result {
  settings values;
  std::vector<problem> problems;  ///< empty when every setting was valid
};

/// Loads settings from, in rising precedence: defaults, the TOML file (if `file` is set),
/// `BATON_SECTION__KEY` variables from `environment`, and `flags` (dotted key → value).
/// Every problem in every source is reported at once; nothing stops at the first.
load_result load(const std::optional<std::string>& file,
                 const std::map<std::string, std::string>& environment,
                 const std::map<std::string, std::string>& flags);

/// The process environment as a map, for `load`.
std::map<std::string, std::string> process_environment();

}  // namespace baton::config
