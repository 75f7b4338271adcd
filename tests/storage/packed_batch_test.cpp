// A batch packed into one value (a partition's log record in a cluster) unpacks into the
// same writes, and a standby that writes it holds what the owner holds.

#include <catch2/catch.hpp>
#include <string>

#include "storage/db.hpp"
#include "tests/storage/temp_dir.hpp"

using namespace baton;
using storage::cf;
using testing::temp_dir;

namespace {

storage::batch sample() {
  storage::batch b;
  b.put(cf::processes, "p1", "snapshot one");
  b.put(cf::history, std::string("h\0x", 3), std::string(300, 'v'));  // binary key, long value
  b.put(cf::meta, "empty", "");
  b.erase(cf::indexes, "gone");
  b.put(cf::meta, "k", "v");
  return b;
}

std::unique_ptr<storage::db> open_db(const temp_dir& dir) {
  auto opened = storage::db::open(dir.str() + "/db", false);
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

std::string read(storage::db& d, cf family, std::string_view key) {
  auto got = d.get(family, key);
  REQUIRE(got.ok());
  return got.value() ? *got.value() : "<none>";
}

}  // namespace

TEST_CASE("a packed batch unpacks into the same writes", "[storage][packed]") {
  auto packed = sample().pack();
  auto unpacked = storage::batch::unpack(packed);
  REQUIRE(unpacked);
  CHECK(unpacked->count() == 5);
  CHECK(unpacked->pack() == packed);
  auto empty = storage::batch::unpack(storage::batch{}.pack());
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("a standby writing the unpacked batch holds what the owner holds", "[storage][packed]") {
  temp_dir owner_dir, standby_dir;
  auto owner = open_db(owner_dir);
  auto standby = open_db(standby_dir);
  for (auto* d : {owner.get(), standby.get()}) {
    storage::batch before;
    before.put(cf::indexes, "gone", "x");
    REQUIRE(d->write(before).ok());
  }
  auto b = sample();
  auto packed = b.pack();
  REQUIRE(owner->write(b).ok());
  auto replayed = storage::batch::unpack(packed);
  REQUIRE(replayed);
  REQUIRE(standby->write(*replayed).ok());
  for (auto* d : {owner.get(), standby.get()}) {
    CHECK(read(*d, cf::processes, "p1") == "snapshot one");
    CHECK(read(*d, cf::history, std::string("h\0x", 3)) == std::string(300, 'v'));
    CHECK(read(*d, cf::meta, "empty").empty());
    CHECK(read(*d, cf::indexes, "gone") == "<none>");
  }
}

TEST_CASE("bytes that pack did not make are refused", "[storage][packed]") {
  auto packed = sample().pack();
  for (std::size_t cut = 0; cut < packed.size(); ++cut) {
    CHECK_FALSE(storage::batch::unpack(std::string_view(packed).substr(0, cut)));
  }
  CHECK_FALSE(storage::batch::unpack(packed + "x"));  // trailing bytes
  auto unknown_family = packed;
  unknown_family[3] = static_cast<char>(0x7f);  // the first write's family byte
  CHECK_FALSE(storage::batch::unpack(unknown_family));
  CHECK_FALSE(storage::batch::unpack("P1\xff\xff\xff\xff\x0f"));  // a count beyond the bytes
  CHECK_FALSE(storage::batch::unpack("not a batch"));
}
