#include "http/json_body.hpp"

#include <catch2/catch.hpp>

using baton::http::iso_time;

TEST_CASE("iso_time writes UTC instants with milliseconds", "[http][json_body]") {
  CHECK(iso_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso_time(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  // Before 1970 the fraction still counts forward from the second before.
  CHECK(iso_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(iso_time(-1'000) == "1969-12-31T23:59:59.000Z");
}
