#pragma once
// What the master runs: the configuration (from -y, the default php-fpm.conf, or zfpm's quick
// start --listen), with every pool's listen addresses, front-end settings and credentials
// resolved — everything php-fpm checks before it forks (fpm_conf_init_main, fpm_unix_resolve_*).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "zfpm/cli/exit_code.hpp"
#include "zfpm/cli/options.hpp"
#include "zfpm/config/config.hpp"
#include "zfpm/expected.hpp"
#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/settings.hpp"

namespace zfpm::proc {

// The user and group a pool's child switches to (only when the master runs as root).
struct Credentials {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string user;  // for initgroups
};

struct PoolPlan {
  config::PoolConfig config;
  // Its listen addresses: the pool's `listen`, or every --listen of the quick start.
  std::vector<net::ListenAddress> addresses;
  // pm.status_listen: served by two workers of their own, so that the status page answers while
  // every worker of the pool is busy (php-fpm's "<pool>_status" shadow pool).
  std::vector<net::ListenAddress> status_addresses;
  net::ServerSettings server;  // front-end limits, with the pool's listen.* applied
  std::string document_root;   // --root (quick start only)
  Credentials credentials;
};

struct Plan {
  config::Config config;     // global section + pools, as loaded and validated
  std::string config_file;   // "" for the quick start
  std::vector<PoolPlan> pools;
  bool daemonize = false;
  // Where the log goes: stderr (foreground with -O or a TTY, and the quick start) or error_log.
  bool log_to_stderr = true;
  const cli::Options* options = nullptr;  // the command line it came from (for PHP's -c -n -d)
};

// Builds the plan, logging php-fpm's diagnostics (config errors name file:line). Without a plan
// to run, the code to exit with: Config after "FPM initialization failed", or with -t, once
// php-fpm's "configuration file ... test is successful" is logged (-tt: the dump first), Ok.
Expected<Plan, cli::ExitCode> make_plan(const cli::Options& options);

// The php-fpm.conf used without -y: "<-p>/etc/php-fpm.conf" with a prefix, else Debian's
// php8.2-fpm path, so that a swapped binary finds the file php-fpm read.
std::string default_config_file(const cli::Options& options);

}  // namespace zfpm::proc
