#pragma once
// The PHP engine's process-wide life: module startup on the TSRM main thread before any worker
// exists, module shutdown after every worker has joined (reference/zts-sapi.md §1.1, §1.5).
// Only php/ includes PHP headers; this interface does not.
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

// Starts the engine on the calling thread, which becomes TSRM's main thread. False (logged)
// on failure.
bool startup(const RuntimeSettings& settings);

// Module shutdown on the same thread; call only once no worker thread runs PHP any more.
void shutdown();

// The body of a PHP worker thread: its own PHP context (ts_resource) for its whole life, serving
// jobs from the pool until it stops, then ts_free_thread.
void serve(pool::WorkerPool& pool, unsigned worker_id);

// "PHP 8.2.x (fpm-fcgi) ..." for --version.
std::string version_text();

}  // namespace zfpm::php
