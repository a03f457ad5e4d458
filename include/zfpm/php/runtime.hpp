#pragma once
// The PHP engine's process-wide life: module startup on the TSRM main thread before any worker
// exists, module shutdown after every worker has joined (docs/internals.md, "Startup and
// threads"). Only php/ includes PHP headers; this interface does not.
#include <string>
#include <vector>

#include "zfpm/config/pool.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::php {

struct RuntimeSettings {
  std::string php_ini;                   // -c: file or directory ("" = PHP's own lookup)
  bool no_php_ini = false;               // -n
  std::vector<std::string> ini_defines;  // -d key=value, applied after php.ini
  std::string document_root;             // --root: SCRIPT_NAME is looked up here if needed
  // The pool this process serves (one pool per child process): security.limit_extensions,
  // php_value/php_admin_value, env[], timeouts, status/ping paths, access log, slowlog, ...
  config::PoolConfig pool;
};

// Records the pool's environment, as php-fpm sets up a child's (fpm_env.c: fpm_env_conf_wp,
// fpm_env_init_child): cleared with clear_env = yes, then env[] ("$NAME" is taken from the current
// environment now), then USER and HOME unless env[] names them. startup() puts it in place of the
// process environment once php.ini is loaded, since PHPRC, PHP_INI_SCAN_DIR and php.ini's ${NAME}
// are read from the environment zfpm was started with (php-fpm's module startup runs in its
// master). Call in the pool's process before startup(); without it the environment stays as it
// is. (chdir, like chroot and the switch to the pool's user, is proc/'s, before this.)
void prepare_process(const config::PoolConfig& pool);

// Starts the engine on the calling thread, which becomes TSRM's main thread: php.ini (-c, PHPRC,
// php-fpm-fcgi.ini, PHP_INI_SCAN_DIR, -n, -d as php-fpm), then the pool's php_value[] and
// php_admin_value[]. False (logged) on failure.
bool startup(const RuntimeSettings& settings);

// Module shutdown on the same thread; call only once no worker thread runs PHP any more.
void shutdown();

// Stop now (SIGTERM, SIGINT): every script running ends at its next safe point, a blocking call
// (sleep, a read) is interrupted, so the workers leave PHP in milliseconds. Any thread.
void end_running_requests();

// The body of a PHP worker thread: its own PHP context (ts_resource) for its whole life, serving
// jobs from the pool until it stops, then ts_free_thread.
void serve(pool::WorkerPool& pool, unsigned worker_id);

// The front end wanted a worker and every one was busy: the status page's "max children
// reached" counts it. Any thread.
void note_max_children_reached();

// "PHP 8.2.x (fpm-fcgi) ..." for --version.
std::string version_text();

// -i and -m: starts the engine, prints phpinfo() as text or the "[PHP Modules]" / "[Zend
// Modules]" lists to stdout, shuts it down. The exit code (0, or 70 when PHP cannot start).
int print_info(const RuntimeSettings& settings);
int print_modules(const RuntimeSettings& settings);

}  // namespace zfpm::php
