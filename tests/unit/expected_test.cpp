#include "zfpm/expected.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace zfpm {
namespace {

Expected<int, std::string> half(int n) {
  if (n % 2 != 0) return Unexpected(std::to_string(n) + " is odd");
  return n / 2;
}

TEST_CASE("an Expected holds the value, or the error and no value") {
  const auto even = half(8);
  REQUIRE(even.has_value());
  CHECK(static_cast<bool>(even));
  CHECK(*even == 4);

  const auto odd = half(7);
  CHECK_FALSE(odd.has_value());
  CHECK(odd.error() == "7 is odd");
}

TEST_CASE("an Expected whose value and error have one type tells them apart") {
  const Expected<int, int> value = 3;
  const Expected<int, int> error = Unexpected(3);
  CHECK(value.has_value());
  CHECK_FALSE(error.has_value());
  CHECK(*value == 3);
  CHECK(error.error() == 3);
}

TEST_CASE("a move-only value moves out of an Expected") {
  Expected<std::unique_ptr<int>, const char*> boxed = std::make_unique<int>(5);
  REQUIRE(boxed);
  CHECK(**boxed == 5);
  std::unique_ptr<int> taken = *std::move(boxed);
  CHECK(*taken == 5);
}

}  // namespace
}  // namespace zfpm
