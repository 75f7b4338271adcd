#include "config/settings.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using namespace baton::config;
using namespace std::chrono_literals;

namespace {

using string_map = std::map<std::string, std::string>;

/// A folder under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::random_device seed;
    path_ = fs::temp_directory_path() / ("baton-config-test-" + std::to_string(seed()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Writes `text` to `name` in the folder and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    auto file = path_ / name;
    std::ofstream out{file};
    out << text;
    return file.string();
  }

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string describe(const std::vector<problem>& problems) {
  std::ostringstream out;
  for (const auto& p : problems)
    out << "  " << p.source << ": [" << p.key << "] " << p.message << "\n";
  return out.str();
}

/// The one problem for `key` from `source`; fails the test when there is not exactly one.
const problem& find_problem(const load_result& r, const std::string& key,
                            const std::string& source) {
  INFO("problems:\n" << describe(r.problems));
  const problem* found = nullptr;
  int count = 0;
  for (const auto& p : r.problems) {
    if (p.key == key && p.source == source) {
      found = &p;
      ++count;
    }
  }
  INFO("looking for " << key << " from " << source);
  REQUIRE(count == 1);
  return *found;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("no sources give the documented defaults", "[config]") {
  auto r = load(std::nullopt, {}, {});
  INFO(describe(r.problems));
  REQUIRE(r.problems.empty());
  CHECK(r.values == settings{});
  CHECK(r.values.http.listen == "127.0.0.1:8080");
  CHECK(r.values.http.io_threads == 2);
  CHECK(r.values.http.body_limit == 1048576);
  CHECK(r.values.http.header_limit == 16384);
  CHECK(r.values.http.header_timeout == 10s);
  CHECK(r.values.http.idle_timeout == 60s);
  CHECK(r.values.http.pipeline_limit == 16);
  CHECK(r.values.http.body_timeout == 20s);
  CHECK(r.values.http.write_timeout == 15s);
  CHECK(r.values.http.max_buffered_per_connection == 1 << 20);
  CHECK(r.values.http.max_buffered_total == 64 << 20);
  CHECK(r.values.http.drain_timeout == 2s);
  CHECK(r.values.http.max_connections == 4096);
  CHECK_FALSE(r.values.http.metrics_public);
  CHECK(r.values.storage.data_dir == "./data");
  CHECK(r.values.storage.mode == durability::sync);
  CHECK(r.values.engine.passivate_after == 30s);
  CHECK(r.values.engine.mode == engine_mode::normal);
  CHECK(r.values.engine.job_activation_hold == 2ms);
  CHECK(r.values.outgoing.default_timeout == 10s);
  CHECK(r.values.outgoing.allow_hosts.empty());
  CHECK(r.values.auth.api_keys.empty());
}

TEST_CASE("the file sets every key", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml", R"(
[http]
listen = "0.0.0.0:9090"
io_threads = 4
body_limit = "2MiB"
header_limit = 8192
header_timeout_ms = 1500
idle_timeout_ms = 2500
pipeline_limit = 4
body_timeout_ms = 700
write_timeout_ms = 800
max_buffered_per_connection = "64KiB"
max_buffered_total = "1MiB"
drain_timeout_ms = 900
max_connections = 100
tls_cert = "/etc/baton/cert.pem"
tls_key = "/etc/baton/key.pem"
metrics_public = true

[storage]
data_dir = "/var/lib/baton"
mode = "async"

[engine]
definitions_dir = "defs"
passivate_after_ms = 0
mode = "sandbox"
time_zone = "Europe/Berlin"
parallel_scopes = true
job_activation_hold_ms = 5

[outgoing]
allow_hosts = ["a.com", "127.0.0.1:9000", "[::1]:8443"]
default_timeout_ms = 250

[auth]
api_keys = ["k1", "k2"]
)");
  auto r = load(file, {}, {});
  INFO(describe(r.problems));
  REQUIRE(r.problems.empty());
  const auto& v = r.values;
  CHECK(v.http.listen == "0.0.0.0:9090");
  CHECK(v.http.io_threads == 4);
  CHECK(v.http.body_limit == 2 * 1024 * 1024);
  CHECK(v.http.header_limit == 8192);
  CHECK(v.http.header_timeout == 1500ms);
  CHECK(v.http.idle_timeout == 2500ms);
  CHECK(v.http.pipeline_limit == 4);
  CHECK(v.http.body_timeout == 700ms);
  CHECK(v.http.write_timeout == 800ms);
  CHECK(v.http.max_buffered_per_connection == 64 << 10);
  CHECK(v.http.max_buffered_total == 1 << 20);
  CHECK(v.http.drain_timeout == 900ms);
  CHECK(v.http.max_connections == 100);
  CHECK(v.http.tls_cert == "/etc/baton/cert.pem");
  CHECK(v.http.tls_key == "/etc/baton/key.pem");
  CHECK(v.http.metrics_public);
  CHECK(v.storage.data_dir == "/var/lib/baton");
  CHECK(v.storage.mode == durability::async);
  CHECK(v.engine.definitions_dir == "defs");
  CHECK(v.engine.passivate_after == 0ms);
  CHECK(v.engine.mode == engine_mode::sandbox);
  CHECK(v.engine.time_zone == "Europe/Berlin");
  CHECK(v.engine.parallel_scopes);
  CHECK(v.engine.job_activation_hold == 5ms);
  CHECK(v.outgoing.allow_hosts ==
        std::vector<std::string>{"a.com", "127.0.0.1:9000", "[::1]:8443"});
  CHECK(v.outgoing.default_timeout == 250ms);
  CHECK(v.auth.api_keys == std::vector<std::string>{"k1", "k2"});
}

TEST_CASE("environment overrides the file, flags override both", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml", R"(
[http]
listen = "127.0.0.1:7000"
body_limit = 1000
io_threads = 3

[storage]
data_dir = "from-file"
)");

  SECTION("env over file") {
    auto r = load(file, {{"BATON_HTTP__BODY_LIMIT", "2048"}, {"BATON_STORAGE__MODE", "async"}}, {});
    INFO(describe(r.problems));
    REQUIRE(r.problems.empty());
    CHECK(r.values.http.body_limit == 2048);
    CHECK(r.values.storage.mode == durability::async);
    CHECK(r.values.http.listen == "127.0.0.1:7000");  // untouched by env: still the file's
    CHECK(r.values.http.io_threads == 3);
  }

  SECTION("flags over env") {
    auto r = load(file,
                  {{"BATON_HTTP__LISTEN", "127.0.0.1:7001"},
                   {"BATON_STORAGE__DATA_DIR", "from-env"},
                   {"BATON_ENGINE__DEFINITIONS_DIR", "defs-env"}},
                  {{"http.listen", "127.0.0.1:0"}, {"storage.data_dir", "from-flag"}});
    INFO(describe(r.problems));
    REQUIRE(r.problems.empty());
    CHECK(r.values.http.listen == "127.0.0.1:0");
    CHECK(r.values.storage.data_dir == "from-flag");
    CHECK(r.values.engine.definitions_dir == "defs-env");
    CHECK(r.values.http.body_limit == 1000);
  }

  SECTION("variables that are not ours are ignored") {
    auto r = load(file, {{"HOME", "/root"}, {"PATH", "/bin"}, {"BATONX", "1"}}, {});
    CHECK(r.problems.empty());
  }
}

TEST_CASE("every problem in every source is reported at once", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml",
                        "[http]\n"                     // 1
                        "io_threads = 0\n"             // 2
                        "body_limit = \"lots\"\n"      // 3
                        "listen = 8080\n"              // 4
                        "\n"                           // 5
                        "[storage]\n"                  // 6
                        "mode = \"fast\"\n"            // 7
                        "\n"                           // 8
                        "[outgoing]\n"                 // 9
                        "allow_hosts = [\n"            // 10
                        "  \"a.com\",\n"               // 11
                        "  \"b.com:99999\",\n"         // 12
                        "]\n"                          // 13
                        "default_timeout_ms = -5\n");  // 14
  auto r = load(file, {{"BATON_HTTP__PIPELINE_LIMIT", "many"}, {"BATON_ENGINE__MODE", "turbo"}},
                {{"http.listen", "localhost"}, {"http.tls_cert", "cert.pem"}});
  INFO(describe(r.problems));
  CHECK(r.problems.size() == 10);

  CHECK(contains(find_problem(r, "http.io_threads", file + ":2").message, "between 1 and 1024"));
  CHECK(contains(find_problem(r, "http.body_limit", file + ":3").message, "lots"));
  CHECK(contains(find_problem(r, "http.listen", file + ":4").message,
                 "expected a string, got an integer"));
  CHECK(contains(find_problem(r, "storage.mode", file + ":7").message, "sync, async"));
  CHECK(contains(find_problem(r, "outgoing.allow_hosts", file + ":12").message, "out of range"));
  CHECK(
      contains(find_problem(r, "outgoing.default_timeout_ms", file + ":14").message, "at least 1"));
  CHECK(contains(find_problem(r, "http.pipeline_limit", "env BATON_HTTP__PIPELINE_LIMIT").message,
                 "expected an integer"));
  CHECK(contains(find_problem(r, "engine.mode", "env BATON_ENGINE__MODE").message, "turbo"));
  CHECK(contains(find_problem(r, "http.listen", "flag http.listen").message, "host:port"));
  CHECK(contains(find_problem(r, "http.tls_cert", "flag http.tls_cert").message, "tls_key"));
}

TEST_CASE("file problems come in line order", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml",
                        "[http]\n"
                        "pipeline_limit = 0\n"
                        "body_limit = 0\n"
                        "idle_timeout_ms = 0\n");
  auto r = load(file, {}, {});
  REQUIRE(r.problems.size() == 3);
  CHECK(r.problems[0].source == file + ":2");
  CHECK(r.problems[1].source == file + ":3");
  CHECK(r.problems[2].source == file + ":4");
}

TEST_CASE("unknown keys are problems, with a suggestion for typos", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml",
                        "[http]\n"           // 1
                        "body_limt = 10\n"   // 2
                        "[storgae]\n"        // 3
                        "mode = \"sync\"\n"  // 4
                        "[engine.extra]\n"   // 5
                        "x = 1\n");          // 6
  auto r =
      load(file, {{"BATON_HTTP_BODY_LIMIT", "1"}, {"BATON_NOPE", "1"}, {"BATON_AUTH__KEYS", "k"}},
           {{"http.lisen", "127.0.0.1:1"}});
  INFO(describe(r.problems));
  CHECK(r.problems.size() == 7);
  CHECK(contains(find_problem(r, "http.body_limt", file + ":2").message,
                 "did you mean 'http.body_limit'"));
  CHECK(contains(find_problem(r, "storgae", file + ":3").message, "did you mean 'storage'"));
  CHECK(contains(find_problem(r, "engine.extra", file + ":5").message, "unknown key"));
  CHECK(contains(find_problem(r, "http_body_limit", "env BATON_HTTP_BODY_LIMIT").message,
                 "did you mean 'BATON_HTTP__BODY_LIMIT'"));
  CHECK(contains(find_problem(r, "nope", "env BATON_NOPE").message, "unknown setting"));
  CHECK(contains(find_problem(r, "auth.keys", "env BATON_AUTH__KEYS").message, "unknown setting"));
  CHECK(contains(find_problem(r, "http.lisen", "flag http.lisen").message,
                 "did you mean 'http.listen'"));
  // The misspelled keys changed nothing.
  CHECK(r.values.http.body_limit == settings{}.http.body_limit);
  CHECK(r.values.http.listen == settings{}.http.listen);
}

TEST_CASE("bad enum values name the allowed ones", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml", "[storage]\nmode = \"Sync\"\n[engine]\nmode = 1\n");
  auto r = load(file, {{"BATON_STORAGE__MODE", "durable"}}, {{"engine.mode", "turbo"}});
  INFO(describe(r.problems));
  CHECK(r.problems.size() == 4);
  CHECK(find_problem(r, "storage.mode", file + ":2").message ==
        "'Sync' is not one of: sync, async");
  CHECK(find_problem(r, "engine.mode", file + ":4").message == "expected a string, got an integer");
  CHECK(find_problem(r, "storage.mode", "env BATON_STORAGE__MODE").message ==
        "'durable' is not one of: sync, async");
  CHECK(find_problem(r, "engine.mode", "flag engine.mode").message ==
        "'turbo' is not one of: normal, sandbox");
  CHECK(r.values.storage.mode == durability::sync);
  CHECK(r.values.engine.mode == engine_mode::normal);
}

TEST_CASE("lists come comma-separated from the environment", "[config]") {
  SECTION("entries are trimmed and blanks dropped") {
    auto r = load(std::nullopt,
                  {{"BATON_OUTGOING__ALLOW_HOSTS", "a.com, 127.0.0.1:9000,,"},
                   {"BATON_AUTH__API_KEYS", "k1,k2"}},
                  {});
    INFO(describe(r.problems));
    REQUIRE(r.problems.empty());
    CHECK(r.values.outgoing.allow_hosts == std::vector<std::string>{"a.com", "127.0.0.1:9000"});
    CHECK(r.values.auth.api_keys == std::vector<std::string>{"k1", "k2"});
  }

  SECTION("an empty variable clears the file's list") {
    temp_dir dir;
    auto file = dir.write("baton.toml", "[auth]\napi_keys = [\"k1\"]\n");
    auto r = load(file, {{"BATON_AUTH__API_KEYS", ""}}, {});
    REQUIRE(r.problems.empty());
    CHECK(r.values.auth.api_keys.empty());
  }

  SECTION("each bad entry is reported") {
    auto r = load(std::nullopt,
                  {{"BATON_OUTGOING__ALLOW_HOSTS", "a.com:0,http://b.com,c.com:x,d.com:443"}}, {});
    INFO(describe(r.problems));
    REQUIRE(r.problems.size() == 3);
    CHECK(contains(r.problems[0].message, "entry 1"));
    CHECK(contains(r.problems[1].message, "without a scheme"));
    CHECK(contains(r.problems[2].message, "not a number"));
    CHECK(r.values.outgoing.allow_hosts.empty());  // a list with a bad entry is not applied
  }

  SECTION("a file array must hold strings") {
    temp_dir dir;
    auto file = dir.write("baton.toml", "[auth]\napi_keys = [\"k1\", 2, \"\"]\n");
    auto r = load(file, {}, {});
    INFO(describe(r.problems));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].message == "entry 2: expected a string, got an integer");
  }
}

TEST_CASE("listen addresses must be host:port", "[config]") {
  auto check = [](const std::string& address) {
    return load(std::nullopt, {}, {{"http.listen", address}}).problems;
  };
  for (std::string good : {"127.0.0.1:8080", "0.0.0.0:0", "localhost:65535", "[::1]:8080"}) {
    INFO(good);
    CHECK(check(good).empty());
  }
  for (std::string bad : {"localhost", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1",
                          "::1:80", "[::1]", "host name:80", ""}) {
    INFO(bad);
    auto problems = check(bad);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].key == "http.listen");
    CHECK(problems[0].source == "flag http.listen");
  }
}

TEST_CASE("sizes accept byte counts and units", "[config]") {
  auto limit = [](const std::string& text) {
    return load(std::nullopt, {{"BATON_HTTP__BODY_LIMIT", text}}, {});
  };
  CHECK(limit("16KiB").values.http.body_limit == 16 * 1024);
  CHECK(limit("1 MiB").values.http.body_limit == 1024 * 1024);
  CHECK(limit("1gib").values.http.body_limit == 1024 * 1024 * 1024);
  CHECK(limit("512B").values.http.body_limit == 512);
  CHECK(limit("512").values.http.body_limit == 512);
  CHECK(contains(limit("2MB").problems.at(0).message, "unknown size unit 'MB'"));
  CHECK(contains(limit("0").problems.at(0).message, "at least 1"));
  CHECK(contains(limit("99999999999999GiB").problems.at(0).message, "too large"));

  auto header = load(std::nullopt, {{"BATON_HTTP__HEADER_LIMIT", "8GiB"}}, {});
  REQUIRE(header.problems.size() == 1);
  CHECK(contains(header.problems[0].message, "between 1 and 4294967295"));
}

TEST_CASE("TLS needs both a certificate and a key", "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml", "[http]\n\ntls_cert = \"cert.pem\"\n");
  auto r = load(file, {}, {});
  INFO(describe(r.problems));
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].key == "http.tls_cert");
  CHECK(r.problems[0].source == file + ":3");
  CHECK(contains(r.problems[0].message, "tls_key is not"));

  auto key_only = load(std::nullopt, {{"BATON_HTTP__TLS_KEY", "key.pem"}}, {});
  REQUIRE(key_only.problems.size() == 1);
  CHECK(key_only.problems[0].source == "env BATON_HTTP__TLS_KEY");

  CHECK(load(file, {{"BATON_HTTP__TLS_KEY", "key.pem"}}, {}).problems.empty());
}

TEST_CASE("a broken or missing file is a problem", "[config]") {
  temp_dir dir;

  SECTION("syntax error names its line") {
    auto file = dir.write("baton.toml", "[http]\nio_threads = 2\nlisten = \"unterminated\n");
    auto r = load(file, {{"BATON_HTTP__IO_THREADS", "0"}}, {});
    INFO(describe(r.problems));
    REQUIRE(r.problems.size() == 2);  // the environment is still checked
    CHECK(r.problems[0].key.empty());
    CHECK(r.problems[0].source == file + ":3");
    CHECK(contains(r.problems[0].message, "TOML syntax error"));
    CHECK(r.problems[1].source == "env BATON_HTTP__IO_THREADS");
  }

  SECTION("a duplicate key is a syntax error") {
    auto file = dir.write("baton.toml", "[http]\nio_threads = 2\nio_threads = 3\n");
    auto r = load(file, {}, {});
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].source == file + ":3");
  }

  SECTION("a missing file given explicitly") {
    auto missing = (dir.path() / "nope.toml").string();
    auto r = load(missing, {}, {});
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].source == missing);
    CHECK(contains(r.problems[0].message, "not found"));
  }

  SECTION("a section that is not a table") {
    auto file = dir.write("baton.toml", "http = 3\n");
    auto r = load(file, {}, {});
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].key == "http");
    CHECK(r.problems[0].source == file + ":1");
  }
}

TEST_CASE("wrong types and values from the environment", "[config]") {
  auto r = load(std::nullopt,
                {{"BATON_ENGINE__PARALLEL_SCOPES", "maybe"},
                 {"BATON_ENGINE__TIME_ZONE", "Mars/Olympus"},
                 {"BATON_STORAGE__DATA_DIR", ""},
                 {"BATON_HTTP__IO_THREADS", "1.5"}},
                {});
  INFO(describe(r.problems));
  CHECK(r.problems.size() == 4);
  CHECK(contains(
      find_problem(r, "engine.parallel_scopes", "env BATON_ENGINE__PARALLEL_SCOPES").message,
      "true or false"));
  CHECK(
      contains(find_problem(r, "engine.time_zone", "env BATON_ENGINE__TIME_ZONE").message, "IANA"));
  CHECK(contains(find_problem(r, "storage.data_dir", "env BATON_STORAGE__DATA_DIR").message,
                 "empty"));
  CHECK(contains(find_problem(r, "http.io_threads", "env BATON_HTTP__IO_THREADS").message,
                 "expected an integer"));

  auto ok = load(std::nullopt, {{"BATON_ENGINE__PARALLEL_SCOPES", "true"}}, {});
  CHECK(ok.values.engine.parallel_scopes);
}

TEST_CASE("http.metrics_public comes from the environment and must be a boolean", "[config]") {
  auto on = load(std::nullopt, {{"BATON_HTTP__METRICS_PUBLIC", "true"}}, {});
  INFO(describe(on.problems));
  REQUIRE(on.problems.empty());
  CHECK(on.values.http.metrics_public);
  auto bad = load(std::nullopt, {{"BATON_HTTP__METRICS_PUBLIC", "yes please"}}, {});
  REQUIRE(bad.problems.size() == 1);
  CHECK(contains(find_problem(bad, "http.metrics_public", "env BATON_HTTP__METRICS_PUBLIC").message,
                 "true or false"));
}

TEST_CASE("process_environment reads the real environment", "[config]") {
  ::setenv("BATON_CONFIG_TEST_PROBE", "a=b", 1);
  auto env = process_environment();
  ::unsetenv("BATON_CONFIG_TEST_PROBE");
  REQUIRE(env.count("BATON_CONFIG_TEST_PROBE") == 1);
  CHECK(env["BATON_CONFIG_TEST_PROBE"] == "a=b");
}

TEST_CASE("the sample baton.toml documents every key with its true default", "[config]") {
  std::ifstream in{std::string{BATON_SOURCE_DIR} + "/baton.toml"};
  REQUIRE(in);
  std::string sample{std::istreambuf_iterator<char>{in}, {}};

  // Loaded as shipped, with every key commented out, it changes nothing.
  temp_dir dir;
  auto shipped = load(dir.write("shipped.toml", sample), {}, {});
  INFO(describe(shipped.problems));
  REQUIRE(shipped.problems.empty());
  CHECK(shipped.values == settings{});

  // With the commented settings switched on, it still gives the defaults: they are documented
  // truthfully. The count shows that every key is there.
  std::regex setting{R"(^#\s*([a-z_]+\s*=.*)$)"};
  std::istringstream lines{sample};
  std::string line, uncommented;
  int keys = 0;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, setting)) {
      uncommented += m[1].str() + "\n";
      ++keys;
    } else {
      uncommented += line + "\n";
    }
  }
  CHECK(keys == 34);  // storage.min_free_bytes and ballast_bytes default to the volume's share
  auto active = load(dir.write("active.toml", uncommented), {}, {});
  INFO(describe(active.problems));
  REQUIRE(active.problems.empty());
  CHECK(active.values == settings{});
}

TEST_CASE("cluster settings: a node name with etcd, URLs, and bounds", "[config]") {
  SECTION("a node joins with a name and etcd URLs") {
    auto r = load(std::nullopt, {{"BATON_CLUSTER__LEASE_MS", "3000"}},
                  {{"cluster.node", "node-1"},
                   {"cluster.etcd", "http://127.0.0.1:2379,http://127.0.0.1:22379"}});
    INFO(describe(r.problems));
    REQUIRE(r.problems.empty());
    CHECK(r.values.cluster.node == "node-1");
    CHECK(r.values.cluster.etcd ==
          std::vector<std::string>{"http://127.0.0.1:2379", "http://127.0.0.1:22379"});
    CHECK(r.values.cluster.lease.count() == 3000);
    CHECK(r.values.cluster.partitions == 16);
    CHECK(r.values.cluster.name == "baton");
  }
  SECTION("without etcd nothing else is required") {
    auto r = load(std::nullopt, {}, {});
    CHECK(r.problems.empty());
    CHECK(r.values.cluster.etcd.empty());
  }
  SECTION("etcd without a node name is told, naming the flag") {
    auto r = load(std::nullopt, {}, {{"cluster.etcd", "http://127.0.0.1:2379"}});
    CHECK(contains(find_problem(r, "cluster.node", "flag cluster.etcd").message, "--node"));
  }
  SECTION("a bad URL, a bad name, a short lease and no partitions are all told") {
    auto r =
        load(std::nullopt, {{"BATON_CLUSTER__LEASE_MS", "500"}, {"BATON_CLUSTER__NAME", "a/b"}},
             {{"cluster.etcd", "127.0.0.1:2379"}, {"cluster.partitions", "0"}});
    CHECK(contains(find_problem(r, "cluster.etcd", "flag cluster.etcd").message, "http://"));
    CHECK(contains(find_problem(r, "cluster.name", "env BATON_CLUSTER__NAME").message, "letters"));
    CHECK(contains(find_problem(r, "cluster.lease_ms", "env BATON_CLUSTER__LEASE_MS").message,
                   "2000"));
    find_problem(r, "cluster.partitions", "flag cluster.partitions");
  }
}

TEST_CASE("the CLI's BATON_URL and BATON_KEY are not settings and never stop the server",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("baton.toml", "");
  auto r = load(file,
                {{"BATON_URL", "http://127.0.0.1:1"},
                 {"BATON_KEY", "secret"},
                 {"BATON_PROFILE", "prod"},
                 {"BATON_URLS", "x"}},
                {});
  INFO(describe(r.problems));
  // A near miss is still reported: only the client's own names are let through.
  REQUIRE(r.problems.size() == 1);
  CHECK(contains(find_problem(r, "urls", "env BATON_URLS").message, "unknown setting"));
}

TEST_CASE("engine.job_activation_hold_ms takes 0 to 1000", "[config]") {
  auto off = load(std::nullopt, {{"BATON_ENGINE__JOB_ACTIVATION_HOLD_MS", "0"}}, {});
  INFO(describe(off.problems));
  REQUIRE(off.problems.empty());
  CHECK(off.values.engine.job_activation_hold == 0ms);
  auto r = load(std::nullopt, {{"BATON_ENGINE__JOB_ACTIVATION_HOLD_MS", "1001"}}, {});
  CHECK(contains(
      find_problem(r, "engine.job_activation_hold_ms", "env BATON_ENGINE__JOB_ACTIVATION_HOLD_MS")
          .message,
      "1000"));
}
