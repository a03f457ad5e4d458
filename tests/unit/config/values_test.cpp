#include "zfpm/config/values.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace zfpm::config;
using std::chrono::seconds;

TEST_CASE("booleans as php-fpm takes them, in any letter case") {
  for (auto yes : {"1", "yes", "true", "on", "YES", "On", "True"})
    CHECK(parse_boolean(yes) == true);
  for (auto no : {"", "0", "no", "none", "false", "off", "OFF", "No"}) {
    CHECK(parse_boolean(no) == false);
  }
  for (auto bad : {"2", "y", "n", "enabled", " yes"}) CHECK_FALSE(parse_boolean(bad));
}

TEST_CASE("time values: s (default), m, h, d") {
  CHECK(parse_time("0").value == seconds{0});
  CHECK(parse_time("15").value == seconds{15});
  CHECK(parse_time("15s").value == seconds{15});
  CHECK(parse_time("2m").value == seconds{120});
  CHECK(parse_time("3h").value == seconds{10800});
  CHECK(parse_time("1d").value == seconds{86400});
  CHECK(std::string(parse_time("").error) == "invalid time value");
  CHECK(std::string(parse_time("5w").error) == "unknown suffix used in time value");
  CHECK(std::string(parse_time("5 min").error) == "unknown suffix used in time value");
}

TEST_CASE("integers: digits and a leading '-', nothing else") {
  CHECK(parse_integer("42") == 42);
  CHECK(parse_integer("-1") == -1);
  CHECK(parse_integer("") == 0);  // atoi("") in php-fpm
  CHECK_FALSE(parse_integer("4 2"));
  CHECK_FALSE(parse_integer("+4"));
  CHECK_FALSE(parse_integer("0x10"));
  CHECK_FALSE(parse_integer("99999999999"));
}
