#include "zfpm/obs/status_query.hpp"

#include <charconv>
#include <cstdint>

namespace zfpm::obs {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// php_url_decode: '+' is a space, %XX a byte, a broken escape stays as it is.
std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// ZEND_HANDLE_NUMERIC_STR: a decimal integer without leading zeros that fits a zend_long becomes
// an integer key, which fpm_php_get_string_from_table skips.
bool is_integer_key(std::string_view key) {
  std::string_view digits = key;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return false;
  if (key == "-0") return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  std::int64_t value = 0;
  auto result = std::from_chars(key.data(), key.data() + key.size(), value);
  return result.ec == std::errc() && result.ptr == key.data() + key.size();
}

// php_register_variable_ex's treatment of a variable name.
std::string php_variable_name(std::string name) {
  std::size_t start = name.find_first_not_of(' ');
  if (start == std::string::npos) return {};
  name.erase(0, start);
  // The name ends at the first NUL (PHP works on C strings here).
  if (auto nul = name.find('\0'); nul != std::string::npos) name.resize(nul);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == ' ' || name[i] == '.') {
      name[i] = '_';
    } else if (name[i] == '[') {
      if (name.find(']', i + 1) != std::string::npos) {
        name.resize(i);  // an array: the key is the base name
      } else {
        name[i] = '_';  // no closing bracket: PHP keeps the rest as it is
      }
      break;
    }
  }
  return name;
}

bool matches(const std::vector<std::string>& keys, std::string_view keyword) {
  for (const auto& key : keys) {
    if (key.size() <= keyword.size() && keyword.compare(0, key.size(), key) == 0) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> php_get_keys(std::string_view query_string) {
  std::vector<std::string> keys;
  while (!query_string.empty()) {
    auto end = query_string.find('&');
    std::string_view pair = query_string.substr(0, end);
    query_string = end == std::string_view::npos ? std::string_view{} : query_string.substr(end + 1);
    std::string_view raw_name = pair.substr(0, pair.find('='));
    if (raw_name.empty()) continue;
    std::string name = php_variable_name(url_decode(raw_name));
    if (name.empty() || is_integer_key(name)) continue;
    keys.push_back(std::move(name));
  }
  return keys;
}

StatusQuery parse_status_query(std::string_view query_string) {
  const auto keys = php_get_keys(query_string);
  StatusQuery query;
  query.full = matches(keys, "full");
  if (matches(keys, "html")) {
    query.format = StatusFormat::Html;
  } else if (matches(keys, "xml")) {
    query.format = StatusFormat::Xml;
  } else if (matches(keys, "json")) {
    query.format = StatusFormat::Json;
  } else if (matches(keys, "openmetrics")) {
    query.format = StatusFormat::OpenMetrics;
  }
  return query;
}

std::string_view status_content_type(StatusFormat format) {
  switch (format) {
    case StatusFormat::Html: return "text/html";
    case StatusFormat::Xml: return "text/xml";
    case StatusFormat::Json: return "application/json";
    case StatusFormat::OpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case StatusFormat::Plain: break;
  }
  return "text/plain";
}

}  // namespace zfpm::obs
