#pragma once
// php-fpm's value parsers for its own directives (fpm_conf.c fpm_conf_set_*), shared by both
// front doors and by whoever takes the same kinds of values (command line, environment).
#include <chrono>
#include <optional>
#include <string_view>

namespace zfpm::config {

// ASCII case-insensitive equality: php-fpm compares directive names and keywords this way.
bool iequals(std::string_view a, std::string_view b);

// fpm_conf_set_boolean: 1/yes/true/on and 0/no/none/false/off/"" (zfpm: any letter case).
std::optional<bool> parse_boolean(std::string_view text);
// fpm_conf_set_integer: digits with an optional leading '-' ("" is 0, as atoi says).
std::optional<int> parse_integer(std::string_view text);
// fpm_conf_set_time: a number with an optional unit s (default), m, h or d; the error text.
struct TimeValue {
  std::chrono::seconds value{0};
  const char* error = nullptr;
};
TimeValue parse_time(std::string_view text);

}  // namespace zfpm::config
