// The data folder holds credential hashes, the token secret and every process's values:
// nothing in it is readable by other local users, from the moment it is created.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/baton_server.hpp"

using baton::test::baton_server;
using baton::test::server_options;
using baton::test::temp_dir;

namespace {

/// Every path under `dir` (and `dir`) that group or others may use.
std::vector<std::string> open_to_others(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  auto check = [&](const std::filesystem::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && !S_ISLNK(st.st_mode) && (st.st_mode & 077) != 0) {
      out.push_back(p.string());
    }
  };
  check(dir);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) check(e.path());
  return out;
}

}  // namespace

TEST_CASE("the data folder and everything in it are owner-only", "[e2e][storage]") {
  temp_dir root;
  auto data = root.path() / "data";
  server_options opts;
  opts.data_dir = data.string();
  opts.environment["BATON_AUTH__REQUIRED"] = "true";  // so that the initial admin key is made
  baton_server server(opts);
  REQUIRE(std::filesystem::exists(data / "initial-admin-key"));
  REQUIRE(std::filesystem::exists(data / "db" / "CURRENT"));
  CHECK(open_to_others(data).empty());
  server.stop();
}

TEST_CASE("a data folder others could read is made owner-only at start, and said",
          "[e2e][storage]") {
  temp_dir root;
  auto data = root.path() / "data";
  std::filesystem::create_directories(data);
  { std::ofstream(data / "notes.txt") << "left by hand"; }
  ::chmod(data.c_str(), 0755);
  ::chmod((data / "notes.txt").c_str(), 0644);
  server_options opts;
  opts.data_dir = data.string();
  baton_server server(opts);
  CHECK(open_to_others(data).empty());
  CHECK(server.output().find("made owner-only") != std::string::npos);
  server.stop();
}
