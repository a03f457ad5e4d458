#pragma once
// access.format (fpm_log.c: fpm_log_write): parsed once at startup, with php-fpm's validation
// and messages, then rendered per request from an AccessEntry. Unlike php-fpm (1024 bytes) a line
// is never cut.
#include <cstddef>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::obs {

// php-fpm's default when access.log is set and access.format is not.
inline constexpr std::string_view kDefaultAccessFormat = "%R - %u %t \"%m %r\" %s";

struct AccessToken {
  char code = 0;          // 0: literal text
  std::string text;       // the literal, or the {modifier}
};

struct AccessFormat {
  std::vector<AccessToken> tokens;
};

// The format, or nullopt with *error set to php-fpm's warning (e.g. "Invalid token in the
// access.format (%x)"); the caller adds "[pool p] wrong format for access.format '...'".
std::optional<AccessFormat> parse_access_format(std::string_view format, std::string* error);

// What a line can show, gathered when the script has ended (before request shutdown).
struct AccessEntry {
  std::string_view pool;
  std::string_view method;        // "" when absent (%m prints "-")
  std::string_view uri;           // %r: SG(request_info).request_uri, i.e. SCRIPT_NAME
  std::string_view query;         // %q
  std::string_view user;          // %u: PHP_AUTH_USER
  std::string_view script;        // %f: "" when none ("-")
  std::string_view client_ip;     // %R: "" for a Unix socket ("-")
  std::size_t content_length = 0; // %l
  int status = 0;                 // %s
  long duration_us = 0;           // %d
  double cpu_user = 0;            // %C: seconds
  double cpu_system = 0;
  std::size_t memory = 0;         // %M: peak bytes
  std::time_t accepted_epoch = 0; // %t
  std::time_t now_epoch = 0;      // %T
  long pid = 0;                   // %p
  long ppid = 0;                  // %P
  // %{NAME}e: the FastCGI param after init_request_info's fixups, or null.
  std::function<const char*(const std::string&)> param;
  // %{Name}o: the response's header lines ("Name: value"), in order.
  std::vector<std::string_view> headers;
};

// The line with its '\n', or "" when the format yields nothing (php-fpm then writes nothing).
std::string render_access_line(const AccessFormat& format, const AccessEntry& entry);

// fpm_log.c: fpm_access_log_suppress — GET or HEAD, no query, a 2xx status, no request body, and
// %r exactly one of the paths.
bool access_suppressed(const AccessEntry& entry, const std::vector<std::string>& paths);

}  // namespace zfpm::obs
