#include "model/suggest.hpp"

#include <catch2/catch.hpp>

using baton::model::did_you_mean;
using baton::model::nearest_name;

TEST_CASE("a typo finds the name it meant", "[model][suggest]") {
  std::vector<std::string> names{"LoanApproval", "PublishListPrices", "Onboarding"};
  CHECK(nearest_name("LoanAprroval", names) == "LoanApproval");           // two letters swapped
  CHECK(nearest_name("loanapproval", names) == "LoanApproval");           // case
  CHECK(nearest_name("PublishListPrice", names) == "PublishListPrices");  // one letter short
  CHECK(nearest_name("Onbaording", names) == "Onboarding");
  CHECK(did_you_mean("Onbording", names) == "; did you mean \"Onboarding\"?");
}

TEST_CASE("a different name suggests nothing", "[model][suggest]") {
  std::vector<std::string> names{"LoanApproval", "Pay"};
  CHECK_FALSE(nearest_name("Invoice", names));
  CHECK_FALSE(nearest_name("Py", std::vector<std::string>{"Ab"}));
  CHECK(nearest_name("Pya", names) == "Pay");  // a short name allows one edit
  CHECK_FALSE(nearest_name("Pyyy", names));
  CHECK_FALSE(nearest_name("x", {}));
  CHECK(did_you_mean("Invoice", names).empty());
}

TEST_CASE("the nearest of several wins, ties go to the first", "[model][suggest]") {
  CHECK(nearest_name("Approve1", {"Approval", "Approve2", "Approve3"}) == "Approve2");
}
