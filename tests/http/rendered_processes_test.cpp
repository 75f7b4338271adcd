// A kept answer is given back only for the very snapshot it was rendered from, and the
// entries never hold more than their budget.

#include "http/rendered_processes.hpp"

#include <catch2/catch.hpp>
#include <string>

using baton::http::rendered_processes;

namespace {

rendered_processes::answer answer_of(std::string json) { return {"Def", std::move(json)}; }

}  // namespace

TEST_CASE("a kept answer is found for its snapshot only", "[http][rendered]") {
  rendered_processes kept;
  CHECK_FALSE(kept.find("p1", "state-1"));
  kept.keep("p1", "state-1", answer_of(R"({"v":1})"));
  auto hit = kept.find("p1", "state-1");
  REQUIRE(hit);
  CHECK(hit->definition == "Def");
  CHECK(hit->json == R"({"v":1})");
  // The process changed (or another process): nothing kept answers for it.
  CHECK_FALSE(kept.find("p1", "state-2"));
  CHECK_FALSE(kept.find("p2", "state-1"));
  // Its new state replaces the old one, which no longer answers.
  kept.keep("p1", "state-2", answer_of(R"({"v":2})"));
  CHECK(kept.find("p1", "state-2")->json == R"({"v":2})");
  CHECK_FALSE(kept.find("p1", "state-1"));
}

TEST_CASE("kept answers stay within their budget and skip the very large", "[http][rendered]") {
  rendered_processes kept(4096);
  std::string json(300, 'j');
  for (int i = 0; i < 1000; ++i) {
    auto id = "p" + std::to_string(i);
    kept.keep(id, "snapshot-" + id, answer_of(json));
    CHECK(kept.bytes() <= 4096);
  }
  CHECK(kept.bytes() > 0);
  // Each set holds 8: many ids still answer, and whatever answers is right.
  int found = 0;
  for (int i = 0; i < 1000; ++i) {
    auto id = "p" + std::to_string(i);
    if (auto hit = kept.find(id, "snapshot-" + id)) {
      CHECK(hit->json == json);
      ++found;
    }
  }
  CHECK(found > 0);
  rendered_processes roomy;
  roomy.keep("big", "s", answer_of(std::string(rendered_processes::max_entry_bytes, 'x')));
  CHECK_FALSE(roomy.find("big", "s"));
  CHECK(roomy.bytes() == 0);
}
