#pragma once
// The command line: php-fpm's flags with php-fpm's meaning (fpm_main.c), parsed as php_getopt
// does (grouped short flags "-tt" / "-FOR", "-dfoo=bar" or "-d foo=bar", long forms with a space
// or "="), plus zfpm's own long options, none of which changes a php-fpm flag. Without -y,
// --listen starts one pool from the command line alone. docs/running.md lists them all.
#include <spdlog/common.h>

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zfpm/expected.hpp"
#include "zfpm/net/settings.hpp"

namespace zfpm::cli {

struct Options {
  // php-fpm's flags.
  std::string php_ini;                   // -c, --php-ini: php.ini file or directory
  bool no_php_ini = false;               // -n, --no-php-ini
  std::vector<std::string> ini_defines;  // -d, --define: "foo=bar" ("-d foo" is "foo=1")
  bool profile_info = false;             // -e, --profile-info
  std::string fpm_config;                // -y, --fpm-config (zfpm: also --config); "" = default
  std::optional<std::string> prefix;     // -p, --prefix
  std::optional<std::string> pid;        // -g, --pid: a default that `pid =` overrides
  int test = 0;                          // -t: 1; -tt: 2 (dump the configuration)
  std::optional<bool> daemonize;         // -D: true, -F: false; unset: the config's daemonize
  bool force_stderr = false;             // -O, --force-stderr
  bool allow_root = false;               // -R, --allow-to-run-as-root
  bool help = false;                     // -h, -?, --help, --usage
  bool info = false;                     // -i, --info
  bool modules = false;                  // -m, --modules
  bool version = false;                  // -v, --version

  // zfpm's quick start: without -y, these describe one pool "www" (docs/running.md).
  std::vector<std::string> listen;        // --listen, repeatable
  unsigned workers = 4;                   // --workers: pm.max_children
  std::string root;                       // --root: chdir, and where SCRIPT_NAME is looked up
  std::string security_limit_extensions = ".php .phar";  // --security-limit-extensions
  // --log-level: overrides the configuration's log_level.
  std::optional<spdlog::level::level_enum> log_level;
  // Front-end limits, timeouts and listen.* (front_end_options.hpp); with -y they apply to every
  // pool, and listen.* from the file wins where both are given.
  net::ServerSettings server;
  bool server_listen_given = false;  // a --listen-* option was given

  bool quick_start() const { return fpm_config.empty() && !listen.empty(); }
};

// php-fpm prints only its usage text (to stdout) for a bad option and exits 64; `message` says
// what was wrong, for zfpm's own diagnostics.
struct UsageError {
  std::string message;
};

Expected<Options, UsageError> parse_options(std::span<const char* const> args);

// php-fpm's usage text (with the program's base name), then zfpm's own options.
std::string usage(std::string_view argv0);

}  // namespace zfpm::cli
