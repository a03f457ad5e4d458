#include "zfpm/config/values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

namespace zfpm::config {

namespace {

// atoi(3), which fpm_conf_set_time applies to what precedes the unit.
long long leading_number(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  long long n = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    n = std::min<long long>(n * 10 + (text[i] - '0'), INT_MAX);
  }
  return negative ? -n : n;
}

}  // namespace

std::optional<bool> parse_boolean(std::string_view text) {
  for (auto yes : {"1", "yes", "true", "on"}) {
    if (iequals(text, yes)) return true;
  }
  for (auto no : {"", "0", "no", "none", "false", "off"}) {
    if (iequals(text, no)) return false;
  }
  return std::nullopt;
}

std::optional<int> parse_integer(std::string_view text) {
  if (text.empty()) return 0;
  std::size_t digits_from = text.front() == '-' ? 1 : 0;
  if (text.size() == digits_from) return 0;  // "-": atoi says 0
  for (std::size_t i = digits_from; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

TimeValue parse_time(std::string_view text) {
  if (text.empty()) return {.error = "invalid time value"};
  long long unit = 1;
  switch (text.back()) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 60 * 60;
      break;
    case 'd':
      unit = 24 * 60 * 60;
      break;
    case 's':
      break;
    default:
      if (text.back() < '0' || text.back() > '9') {
        return {.error = "unknown suffix used in time value"};
      }
      return {.value = std::chrono::seconds{leading_number(text)}};
  }
  return {.value = std::chrono::seconds{leading_number(text.substr(0, text.size() - 1)) * unit}};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace zfpm::config
