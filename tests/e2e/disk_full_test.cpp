// A full data volume, for real: a small tmpfs holds the data folder, a filler file leaves the
// server a few MB, and starts run until the volume is full. Every answer is 2xx or 507; reads
// go on; freeing space lets writes resume without a restart; a restart finds every process
// that was acknowledged.

#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/baton_server.hpp"
#include "tests/support/test_client.hpp"

using baton::test::baton_server;
using baton::test::http_call;
using baton::test::server_options;
using baton::test::temp_dir;

namespace {

/// A tmpfs of `bytes` mounted on `at` for the life of the object; `mounted` says whether the
/// machine allowed it (root, or a user namespace that may mount).
class small_volume {
 public:
  small_volume(const std::filesystem::path& at, std::size_t bytes) : at_(at) {
    std::filesystem::create_directories(at_);
    auto options = "size=" + std::to_string(bytes) + ",mode=0700";
    mounted_ = ::mount("tmpfs", at_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~small_volume() {
    if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path at_;
  bool mounted_ = false;
};

/// Writes `bytes` of zeros to `path` (really allocated: tmpfs counts written pages).
bool fill(const std::filesystem::path& path, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  std::string block(1 << 20, '\0');
  for (std::size_t done = 0; done < bytes && out; done += block.size()) {
    out.write(block.data(), static_cast<std::streamsize>(std::min(block.size(), bytes - done)));
  }
  return static_cast<bool>(out.flush());
}

std::string id_of(const std::string& body) {
  auto at = body.find("\"id\":\"");
  if (at == std::string::npos) return {};
  at += 6;
  return body.substr(at, body.find('"', at) - at);
}

/// A start whose values make each process a a few KB on disk, so the volume fills in hundreds
/// of requests rather than tens of thousands.
std::string start_body() {
  static const std::string big(1000, 'x');
  return R"({"definition":"OneStepNotepadRunner","values":{"username":")" + big +
         R"(","surname":"S"}})";
}

}  // namespace

TEST_CASE(
    "a full data volume: 507 for writes, reads go on, writes resume, nothing acknowledged lost",
    "[e2e][storage]") {
  temp_dir root;
  small_volume volume(root.path() / "vol", 64u << 20);
  if (!volume.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the small-volume test did not run");
    return;
  }
  auto data = root.path() / "vol" / "data";
  server_options opts;
  opts.data_dir = data.string();
  opts.environment["BATON_STORAGE__MIN_FREE_BYTES"] = "16MiB";
  opts.environment["BATON_STORAGE__BALLAST_BYTES"] = "2MiB";
  baton_server server(opts);
  auto port = server.port();
  REQUIRE(std::filesystem::exists(data / "ballast"));

  // Leave the server about 20 MB above nothing: 4 MB above its watermark.
  auto filler = root.path() / "vol" / "filler";
  auto free_now = std::filesystem::space(data).available;
  REQUIRE(free_now > (20u << 20));
  REQUIRE(fill(filler, free_now - (20u << 20)));

  std::vector<std::string> acknowledged;
  int refused = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (int i = 0; i < 20000 && refused < 20 && std::chrono::steady_clock::now() < deadline; ++i) {
    auto r = http_call(port, "POST", "/api/v1/processes", start_body());
    INFO(r.status << " " << r.body);
    REQUIRE((r.status / 100 == 2 || r.status == 507));
    if (r.status == 507) {
      ++refused;
      CHECK(r.header("Content-Type") == "application/problem+json");
      CHECK(r.body.find("insufficient-storage") != std::string::npos);
      CHECK_FALSE(r.header("Retry-After").empty());
      CHECK(r.body.find(data.string()) == std::string::npos);  // no path to a client
    } else {
      acknowledged.push_back(id_of(r.body));
    }
  }
  REQUIRE(refused >= 20);
  REQUIRE_FALSE(acknowledged.empty());

  // Reads and health go on; readiness says why it is not ready.
  CHECK(http_call(port, "GET", "/api/v1/processes/" + acknowledged.front()).status == 200);
  CHECK(http_call(port, "GET", "/healthz").status == 200);
  auto ready = http_call(port, "GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("writes refused") != std::string::npos);

  // Space returns: writes are taken again, with no restart.
  std::filesystem::remove(filler);
  bool resumed = false;
  for (int i = 0; i < 300 && !resumed; ++i) {  // the guard looks again within a second
    auto r = http_call(port, "POST", "/api/v1/processes", start_body());
    REQUIRE((r.status / 100 == 2 || r.status == 507 || r.status == 503));
    if (r.status / 100 == 2) {
      resumed = true;
      acknowledged.push_back(id_of(r.body));
    } else {
      ::usleep(20'000);  // a bounded poll for the once-a-second volume reading
    }
  }
  REQUIRE(resumed);
  CHECK(http_call(port, "GET", "/readyz").status == 200);

  // A crash now, and a restart: every acknowledged process is there.
  server.kill9();
  server.start();
  port = server.port();
  int missing = 0;
  for (const auto& id : acknowledged) {
    if (http_call(port, "GET", "/api/v1/processes/" + id).status != 200) ++missing;
  }
  CHECK(missing == 0);
  server.stop();
}

TEST_CASE("a volume too full to open the store: start-up deletes the ballast and opens",
          "[e2e][storage]") {
  temp_dir root;
  small_volume volume(root.path() / "vol", 32u << 20);
  if (!volume.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the ballast test did not run");
    return;
  }
  auto data = root.path() / "vol" / "data";
  server_options opts;
  opts.data_dir = data.string();
  opts.environment["BATON_STORAGE__MIN_FREE_BYTES"] = "4MiB";
  opts.environment["BATON_STORAGE__BALLAST_BYTES"] = "6MiB";
  baton_server server(opts);
  auto first = http_call(server.port(), "POST", "/api/v1/processes", start_body());
  REQUIRE(first.status / 100 == 2);
  server.stop();
  REQUIRE(std::filesystem::exists(data / "ballast"));

  // Someone else fills the volume while the server is down.
  auto free_now = std::filesystem::space(data).available;
  REQUIRE(fill(root.path() / "vol" / "filler", free_now - (1u << 20)));

  server.start();
  CHECK_FALSE(std::filesystem::exists(data / "ballast"));
  CHECK(server.output().find("deleted the ballast") != std::string::npos);
  CHECK(http_call(server.port(), "GET", "/api/v1/processes/" + id_of(first.body)).status == 200);
  server.stop();
}
