#include "zfpm/proc/plan.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "credentials.hpp"
#include "zfpm/cli/install_layout.hpp"
#include "zfpm/config/dump.hpp"
#include "zfpm/config/loader.hpp"
#include "zfpm/obs/access_format.hpp"
#include "zfpm/obs/log.hpp"

namespace zfpm::proc {
namespace {

constexpr int kExitConfig = 78;

// Debian's php8.2-fpm reads this when started without -y (its PHP_SYSCONFDIR); so does zfpm run
// from its build tree. An installed zfpm reads its own (cli/install_layout.hpp).
constexpr const char* kDebianConfigFile = "/etc/php/8.2/fpm/php-fpm.conf";

spdlog::level::level_enum to_spdlog(config::Level level) {
  switch (level) {
    case config::Level::Notice:
      return spdlog::level::info;
    case config::Level::Warning:
      return spdlog::level::warn;
    case config::Level::Error:
      return spdlog::level::err;
    case config::Level::Alert:
      return spdlog::level::critical;
  }
  return spdlog::level::err;
}

int config_failure() {
  spdlog::error("FPM initialization failed");
  return kExitConfig;
}

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// zfpm's quick start: one pool from --listen/--workers/--root, in the foreground.
config::Config quick_start_config(const cli::Options& options) {
  config::Config config;
  config.global.daemonize = false;
  config::PoolConfig pool;
  pool.name = "www";
  pool.listen.address = options.listen.front();
  pool.pm.style = config::PmStyle::Static;
  pool.pm.max_children = static_cast<int>(options.workers);
  pool.security_limit_extensions = options.security_limit_extensions;
  pool.clear_env = false;  // the quick start's scripts see zfpm's own environment
  pool.catch_workers_output = true;  // and what they write to stderr shows in its log
  if (!options.root.empty()) pool.chdir = options.root;
  config.pools.push_back(std::move(pool));
  return config;
}

// listen.* from the pool onto the front end's settings (quick start: the --listen-* options).
bool apply_listen(const config::PoolConfig& pool, net::ListenSettings& listen) {
  listen.backlog = pool.listen.backlog;
  if (pool.listen.owner) listen.owner = *pool.listen.owner;
  if (pool.listen.group) listen.group = *pool.listen.group;
  if (pool.listen.mode) {
    char* end = nullptr;
    unsigned long mode = std::strtoul(pool.listen.mode->c_str(), &end, 8);
    if (pool.listen.mode->empty() || *end != '\0' || mode > 07777) {
      spdlog::error("[pool {}] invalid listen.mode '{}'", pool.name, *pool.listen.mode);
      return false;
    }
    listen.mode = static_cast<unsigned>(mode);
  }
  if (pool.listen.allowed_clients) listen.allowed_clients = pool.listen.allowed_clients;
  return true;
}

bool plan_pool(const cli::Options& options, config::PoolConfig pool, Plan& plan) {
  PoolPlan pool_plan;
  pool_plan.server = options.server;
  const bool quick = options.quick_start();
  std::vector<std::string> texts = quick ? options.listen
                                         : std::vector<std::string>{pool.listen.address};
  for (const auto& text : texts) {
    auto address = net::parse_listen_address(text);
    if (auto* error = std::get_if<net::AddressError>(&address)) {
      spdlog::error("{}", error->message);  // php-fpm's socket errors name no pool
      return false;
    }
    pool_plan.addresses.push_back(std::get<net::ListenAddress>(address));
  }
  if (!quick && !apply_listen(pool, pool_plan.server.listen)) return false;
  if (pool.pm.status_listen && !pool.pm.status_listen->empty()) {
    auto address = net::parse_listen_address(*pool.pm.status_listen);
    if (auto* error = std::get_if<net::AddressError>(&address)) {
      spdlog::error("{}", error->message);
      return false;
    }
    pool_plan.status_addresses.push_back(std::get<net::ListenAddress>(address));
    // php-fpm (fpm_worker_pool_shared_status_alloc): the status page is "/" when unset.
    if (!pool.pm.status_path) pool.pm.status_path = "/";
  }
  // As fpm_conf_post_process: a format is checked when there is an access log to write it to.
  if (pool.access.log && pool.access.format) {
    std::string error;
    if (!obs::parse_access_format(*pool.access.format, &error)) {
      spdlog::warn("{}", error);  // php-fpm's words (fpm_log.c), which name no pool
      spdlog::error("[pool {}] wrong format for access.format '{}'", pool.name,
                    *pool.access.format);
      return false;
    }
  }
  pool_plan.server.connection.max_workers = static_cast<unsigned>(pool.pm.max_children);
  pool_plan.server.pool = pool.name;
  pool_plan.document_root = options.root;
  // The quick start runs as whoever started it, as `php -S` does; the root check is for pools.
  // -t checks that the accounts exist (fpm_unix_test_config), not that they are not root.
  if (options.test > 0 && !test_account_names(pool)) return false;
  auto credentials = resolve_credentials(pool, options.allow_root || quick || options.test > 0);
  if (!credentials) return false;
  pool_plan.credentials = std::move(*credentials);
  pool_plan.config = std::move(pool);
  plan.pools.push_back(std::move(pool_plan));
  return true;
}

}  // namespace

std::string default_config_file(const cli::Options& options) {
  if (options.prefix) return *options.prefix + "/etc/php-fpm.conf";
  if (const auto& layout = cli::install_layout(); layout.installed()) return layout.config_file;
  return kDebianConfigFile;
}

std::variant<Plan, int> make_plan(const cli::Options& options) {
  Plan plan;
  plan.options = &options;
  if (options.prefix && !is_directory(*options.prefix)) {
    spdlog::error("the global prefix '{}' does not exist or is not a directory", *options.prefix);
    return config_failure();
  }
  if (options.quick_start()) {
    plan.config = quick_start_config(options);
  } else {
    plan.config_file = options.fpm_config.empty() ? default_config_file(options) : options.fpm_config;
    config::Prefixes prefixes;
    prefixes.prefix = options.prefix;
    // php-fpm's PHP_PREFIX and PHP_LOCALSTATEDIR: an installed zfpm's own, else Debian's.
    if (const auto& layout = cli::install_layout(); layout.installed()) {
      prefixes.install_prefix = layout.prefix;
      prefixes.localstatedir = layout.localstatedir;
    }
    auto loaded = config::load_config(plan.config_file, prefixes);
    // fpm_conf_post_process applies [global] log_level before it checks the pools, so their
    // notices obey it (bug68458-pm-no-start-server.phpt); -d/--log-level on the command line wins.
    if (!options.log_level && loaded.config.global.log_level) {
      if (auto level = obs::parse_log_level(config::to_string(*loaded.config.global.log_level))) {
        spdlog::set_level(*level);
      }
    }
    bool parse_failed = false;
    for (const auto& diagnostic : loaded.diagnostics) {
      spdlog::log(to_spdlog(diagnostic.level), "{}", diagnostic.message);
      if (diagnostic.level >= config::Level::Error && !diagnostic.file.empty()) {
        parse_failed = true;
      }
    }
    if (!loaded.ok()) {
      if (parse_failed) {
        spdlog::error("failed to load configuration file '{}'", plan.config_file);
      } else {
        spdlog::error("failed to post process the configuration");
      }
      return config_failure();
    }
    plan.config = std::move(loaded.config);
    if (plan.config.pools.empty()) {
      spdlog::error("No pool defined. at least one pool section must be specified in config file");
      return config_failure();
    }
  }
  // -g only sets a default: a `pid =` line wins (php-fpm's quirk).
  if (!plan.config.global.pid && options.pid) plan.config.global.pid = options.pid;
  for (const auto& pool : plan.config.pools) {
    if (!plan_pool(options, pool, plan)) return config_failure();
  }
  plan.daemonize = options.quick_start() ? false
                                         : options.daemonize.value_or(plan.config.global.daemonize);
  plan.log_to_stderr = options.quick_start() ||
                       (!plan.daemonize && (options.force_stderr || ::isatty(STDERR_FILENO)));
  if (options.test > 0) {
    if (options.test > 1) {
      for (const auto& line : config::dump(plan.config)) spdlog::info("{}", line);
    }
    spdlog::info("configuration file {} test is successful\n",
                 plan.config_file.empty() ? "(command line)" : plan.config_file);
    return 0;
  }
  return plan;
}

}  // namespace zfpm::proc
