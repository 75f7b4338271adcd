#include "model/cluster.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "model/ids.hpp"

using baton::model::assign_partitions;

namespace {

std::map<std::string, int> counts(const std::vector<std::string>& owners) {
  std::map<std::string, int> n;
  for (const auto& o : owners) ++n[o];
  return n;
}

}  // namespace

TEST_CASE("partitions are spread evenly over the live nodes", "[partitions]") {
  auto owners = assign_partitions({"c", "a", "b"}, 16);
  REQUIRE(owners.size() == 16);
  auto n = counts(owners);
  REQUIRE(n.size() == 3);
  for (const auto& [node, owned] : n) CHECK((owned == 5 || owned == 6));
  // The order the nodes were seen in does not matter: every node computes the same.
  CHECK(assign_partitions({"b", "c", "a", "a"}, 16) == owners);
}

TEST_CASE("a node that rejoins gets its partitions back", "[partitions]") {
  auto before = assign_partitions({"a", "b", "c"}, 16);
  auto without_c = assign_partitions({"a", "b"}, 16);
  CHECK(counts(without_c) == std::map<std::string, int>{{"a", 8}, {"b", 8}});
  CHECK(assign_partitions({"c", "a", "b"}, 16) == before);
}

TEST_CASE("the nodes that stay keep most of their partitions", "[partitions]") {
  // Round robin would move half of the survivors' partitions between them when one node of
  // three leaves; each move is a takeover.
  for (const auto& gone : {"a", "b", "c"}) {
    std::vector<std::string> rest;
    for (const auto& n : {"a", "b", "c"})
      if (std::string{n} != gone) rest.emplace_back(n);
    auto before = assign_partitions({"a", "b", "c"}, 16);
    auto after = assign_partitions(rest, 16);
    int kept = 0, survivors_had = 0;
    for (std::size_t p = 0; p < 16; ++p) {
      if (before[p] == gone) continue;
      ++survivors_had;
      kept += before[p] == after[p] ? 1 : 0;
    }
    INFO("without " << gone << ": kept " << kept << " of " << survivors_had);
    CHECK(kept * 4 >= survivors_had * 3);
  }
}

TEST_CASE("without live nodes nobody owns anything", "[partitions]") {
  auto owners = assign_partitions({}, 4);
  REQUIRE(owners.size() == 4);
  for (const auto& o : owners) CHECK(o.empty());
}

TEST_CASE("an id made for a partition says so, and a scope has one partition", "[partitions]") {
  baton::model::id_generator ids(1);
  for (std::uint16_t p : {0, 5, 15}) {
    auto id = ids.next(1'700'000'000'000, p);
    CHECK(baton::model::partition_of_id(id, 16) == p);
  }
  auto a = baton::model::partition_of_scope("customer-42", 16);
  CHECK(a < 16);
  CHECK(baton::model::partition_of_scope("customer-42", 16) == a);
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(baton::model::partition_of_scope("s" + std::to_string(i), 16));
  CHECK(seen.size() == 16);  // scopes spread over every partition
}
