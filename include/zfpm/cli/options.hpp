#pragma once
// The skeleton's command line. php-fpm's own flags (-c -n -d) keep php-fpm's meaning; the full
// php-fpm command line arrives with the drop-in configuration work.
#include <spdlog/common.h>

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zfpm/net/settings.hpp"

namespace zfpm::cli {

struct Options {
  std::vector<std::string> listen;          // --listen, repeatable; default 127.0.0.1:9000
  unsigned workers = 4;                     // --workers: PHP worker threads
  std::string root;                         // --root: document root, also the process cwd
  std::string php_ini;                      // -c: php.ini file or directory
  bool no_php_ini = false;                  // -n
  std::vector<std::string> ini_defines;     // -d key=value, in order
  // --security-limit-extensions: php-fpm's security.limit_extensions until php-fpm.conf is read
  std::string security_limit_extensions = ".php .phar";
  spdlog::level::level_enum log_level = spdlog::level::info;  // --log-level
  net::ServerSettings server;  // --listen-backlog, --max-body-size, ... (front_end_options.hpp)
  bool help = false;
  bool version = false;
};

struct UsageError {
  std::string message;
};

std::variant<Options, UsageError> parse_options(std::span<const char* const> args);

std::string usage(std::string_view program);

}  // namespace zfpm::cli
