// A kept answer is given back only for the very snapshot it was rendered from, or under the
// very write mark taken before that snapshot was read, and the entries never hold more than
// their budget.

#include "http/rendered_processes.hpp"

#include <catch2/catch.hpp>
#include <string>

using baton::http::rendered_processes;

namespace {

rendered_processes::answer answer_of(std::string json) { return {"Def", std::move(json)}; }

}  // namespace

TEST_CASE("a kept answer is found for its snapshot only", "[http][rendered]") {
  rendered_processes kept;
  CHECK_FALSE(kept.find("p1", "state-1", std::nullopt));
  kept.keep("p1", "state-1", std::nullopt, answer_of(R"({"v":1})"));
  auto hit = kept.find("p1", "state-1", std::nullopt);
  REQUIRE(hit);
  CHECK(hit->definition == "Def");
  CHECK(hit->json == R"({"v":1})");
  // The process changed (or another process): nothing kept answers for it.
  CHECK_FALSE(kept.find("p1", "state-2", std::nullopt));
  CHECK_FALSE(kept.find("p2", "state-1", std::nullopt));
  // Its new state replaces the old one, which no longer answers.
  kept.keep("p1", "state-2", std::nullopt, answer_of(R"({"v":2})"));
  CHECK(kept.find("p1", "state-2", std::nullopt)->json == R"({"v":2})");
  CHECK_FALSE(kept.find("p1", "state-1", std::nullopt));
}

TEST_CASE("a kept answer is found by its write mark only while the mark is the same",
          "[http][rendered]") {
  rendered_processes kept;
  kept.keep("p1", "state-1", 7, answer_of(R"({"v":1})"));
  REQUIRE(kept.find("p1", 7));
  CHECK(kept.find("p1", 7)->json == R"({"v":1})");
  CHECK_FALSE(kept.find("p1", 8));  // a write of it began since
  CHECK_FALSE(kept.find("p2", 7));
  // Kept without a mark (read while a write was under way): found by its bytes only.
  kept.keep("p2", "state-1", std::nullopt, answer_of(R"({"v":2})"));
  CHECK_FALSE(kept.find("p2", 0));
  // Found by its bytes, an entry takes the mark read with them; a newer state drops it.
  REQUIRE(kept.find("p2", "state-1", 9));
  CHECK(kept.find("p2", 9)->json == R"({"v":2})");
  CHECK_FALSE(kept.find("p1", "state-2", 10));
  kept.keep("p1", "state-2", std::nullopt, answer_of(R"({"v":3})"));
  CHECK_FALSE(kept.find("p1", 7));
}

TEST_CASE("kept answers stay within their budget and skip the very large", "[http][rendered]") {
  rendered_processes kept(4096);
  std::string json(300, 'j');
  for (int i = 0; i < 1000; ++i) {
    auto id = "p" + std::to_string(i);
    kept.keep(id, "snapshot-" + id, i, answer_of(json));
    CHECK(kept.bytes() <= 4096);
  }
  CHECK(kept.bytes() > 0);
  // Each set holds 8: many ids still answer, and whatever answers is right.
  int found = 0;
  for (int i = 0; i < 1000; ++i) {
    auto id = "p" + std::to_string(i);
    if (auto hit = kept.find(id, "snapshot-" + id, i)) {
      CHECK(hit->json == json);
      ++found;
    }
  }
  CHECK(found > 0);
  rendered_processes roomy;
  roomy.keep("big", "s", 1, answer_of(std::string(rendered_processes::max_entry_bytes, 'x')));
  CHECK_FALSE(roomy.find("big", "s", 1));
  CHECK_FALSE(roomy.find("big", 1));
  CHECK(roomy.bytes() == 0);
}
