#pragma once
// Which status page a request asks for. php-fpm looks the keywords up in $_GET
// (fpm_php.c: fpm_php_get_string_from_table) with strncmp(key, keyword, strlen(key)): a key
// matches when it is a prefix of the keyword, so `?j` is json and `?f` is full. Here the query
// string is decoded the way PHP fills $_GET, so the same keys match without running PHP.
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::obs {

enum class StatusFormat { Plain, Html, Xml, Json, OpenMetrics };

struct StatusQuery {
  StatusFormat format = StatusFormat::Plain;
  bool full = false;
};

// The string keys $_GET would have for this query string (arg_separator.input "&"): URL-decoded
// ('+' is a space), leading spaces dropped, ' ' and '.' in the base name turned into '_', the
// base name of `a[b]`, no empty names, no integer keys ("0", "-12").
std::vector<std::string> php_get_keys(std::string_view query_string);

// php-fpm's precedence: html, then xml, json, openmetrics; plain otherwise.
StatusQuery parse_status_query(std::string_view query_string);

// The Content-Type header line's value for a format.
std::string_view status_content_type(StatusFormat format);

}  // namespace zfpm::obs
