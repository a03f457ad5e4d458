#include "zfpm/php/runtime.hpp"

#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "environment.hpp"
#include "zfpm/cli/install_layout.hpp"
#include "execution_timer.hpp"
#include "executor.hpp"
#include "opcache_restart.hpp"
#include "pool_ini.hpp"
#include "pool_process.hpp"
#include "pool_status.hpp"
#include "post_body.hpp"
#include "request_context.hpp"
#include "request_gate.hpp"
#include "request_info.hpp"
#include "sapi.hpp"
#include "thread_state.hpp"
#include "watchdog.hpp"

extern "C" {
#include <TSRM.h>
#include <main/php_main.h>
#include <Zend/zend_extensions.h>
}

namespace zfpm::php {
namespace {

RuntimeSettings settings_;
ExecutorSettings executor_settings_;
char* ini_entries_ = nullptr;
char* ini_path_ = nullptr;
char executable_[PATH_MAX] = {};

// php-fpm passes argv[0]: PHP_BINARY, and the binary's directory is on php.ini's search path.
char* executable_location() {
  ssize_t length = ::readlink("/proc/self/exe", executable_, sizeof executable_ - 1);
  if (length <= 0) return nullptr;
  executable_[length] = '\0';
  return executable_;
}

// INI that zfpm supplies before the user's -d: opcache is part of the server, as in php-fpm
// packages; php.ini and -d still override its settings.
std::string build_ini_entries(const RuntimeSettings& settings) {
#ifdef ZFPM_SANITIZER_BUILD
  std::string ini;  // see CMakeLists.txt: no opcache under ASan
#else
  std::string ini = "zend_extension=opcache\n";
#endif
  for (const auto& define : settings.ini_defines) ini += define + "\n";
  // The pool's values once more, before module startup, for the extensions that read their
  // setting only in MINIT (browscap = loads its file there: gh12621); pool_ini.cpp applies them
  // again after startup, locks the admin ones, and alone handles the entries whose meaning is
  // not "set" (extension loads one, disable_* append).
  for (const auto* values : {&settings.pool.php_value, &settings.pool.php_admin_value}) {
    for (const auto& [key, value] : *values) {
      if (key == "extension" || key == "zend_extension" || key == "disable_functions" ||
          key == "disable_classes" || value.find_first_of("\n\"") != std::string::npos) {
        continue;
      }
      ini += key + "=\"" + value + "\"\n";
    }
  }
  return ini;
}

// Lowest-precedence INI (php.ini and -d override it): opcache sized so that it does not fill up
// and restart, which is unsafe with threads (php-src GH-18517; docs/php.md).
void ini_defaults(HashTable* configuration) {
  auto set = [configuration](std::string_view name, std::string_view value) {
    zval entry;
    ZVAL_NEW_STR(&entry, zend_string_init(value.data(), value.size(), 1));
    zend_hash_str_update(configuration, name.data(), name.size(), &entry);
  };
  set("opcache.memory_consumption", "256");
  set("opcache.interned_strings_buffer", "32");
  set("opcache.max_accelerated_files", "100000");
  set("opcache.max_wasted_percentage", "50");
  // An installed zfpm's extensions are beside its libphp, not in the PHP prefix it was built in.
  if (const auto& layout = cli::install_layout(); layout.installed()) {
    set("extension_dir", layout.extension_dir);
  }
}

// An installed zfpm reads its own php.ini and conf.d (cli/install_layout.hpp), where PHP itself
// would look in the prefix it was built in: -c, -n, PHPRC and PHP_INI_SCAN_DIR still win, as they
// do over PHP's built-in folders. The scan folder can only be given to PHP in the environment: it
// is set for module startup alone (true: unset it after), and scripts never see it.
char* installed_ini_dir_ = nullptr;

bool use_installed_ini_lookup(const RuntimeSettings& settings) {
  const auto& layout = cli::install_layout();
  if (!layout.installed() || settings.no_php_ini) return false;
  if (settings.php_ini.empty() && !std::getenv("PHPRC")) {
    installed_ini_dir_ = strdup(layout.php_ini_dir.c_str());
    sapi.php_ini_path_override = installed_ini_dir_;
  }
  if (std::getenv("PHP_INI_SCAN_DIR")) return false;
  ::setenv("PHP_INI_SCAN_DIR", layout.scan_dir().c_str(), 1);
  return true;
}

// A worker's PHP context: globals, GINITs, copied INI and function tables, then this thread's
// own putenv/getenv/setlocale/opcache_reset, and the watchdog's handle on its globals. Not while
// an opcache reset runs (request_gate.hpp).
void start_context(unsigned worker_id) {
  request_gate::enter();
  (void)ts_resource(0);
  environment::override_functions();
  thread_state::override_functions();
  opcache_restart::override_functions();
  watchdog::attach_thread(worker_id, static_cast<long>(::syscall(SYS_gettid)));
  request_gate::leave();
}

// The watchdog lets go of the thread's globals before they are freed.
void free_context() {
  request_gate::enter();
  watchdog::detach_thread();
  execution_timer::release();
  ts_free_thread();
  request_gate::leave();
}

}  // namespace

bool startup(const RuntimeSettings& settings) {
  settings_ = settings;
  executor_settings_ = {.document_root = settings.document_root,
                        .limit_extensions = parse_limit_extensions(settings.pool.security_limit_extensions)};
  std::signal(SIGPIPE, SIG_IGN);  // fpm_main.c does the same; write errors are handled per call
  php_tsrm_startup();
  sapi_startup(&sapi);
  std::string ini = build_ini_entries(settings);
  ini_entries_ = static_cast<char*>(std::malloc(ini.size() + 1));
  std::memcpy(ini_entries_, ini.c_str(), ini.size() + 1);
  sapi.ini_entries = ini_entries_;
  sapi.php_ini_ignore = settings.no_php_ini ? 1 : 0;
  sapi.ini_defaults = ini_defaults;
  sapi.php_ini_ignore_cwd = 1;  // as php-fpm: never a php.ini from the current directory
  sapi.executable_location = executable_location();
  if (!settings.php_ini.empty()) {
    ini_path_ = strdup(settings.php_ini.c_str());
    sapi.php_ini_path_override = ini_path_;
  }
  pool_ini::prepare(settings.pool);  // applied at the end of module startup
  const bool scan_dir_set = use_installed_ini_lookup(settings);
  const bool started = sapi.startup(&sapi) == SUCCESS;
  if (scan_dir_set) ::unsetenv("PHP_INI_SCAN_DIR");
  if (!started) {
    spdlog::error("PHP module startup failed");
    return false;
  }
  post_body::install();
  // Scripts see the pool's environment (prepare_process), snapshot for $_SERVER and getenv().
  pool_process::apply_environment();
  environment::startup();
#ifndef ZFPM_SANITIZER_BUILD
  if (!zend_get_extension("Zend OPcache")) {
    spdlog::warn("opcache is not loaded: every request compiles its scripts again");
  }
#endif
  // request_terminate_timeout and the slowlog; after module startup, which resets
  // zend_interrupt_function, and before any worker.
  watchdog::start(settings.pool);
  pool_status::prepare(settings_, static_cast<unsigned>(std::max(settings.pool.pm.max_children, 1)));
  return true;
}

void end_running_requests() {
  if (const std::size_t ended = watchdog::end_all_requests()) {
    spdlog::debug("[pool {}] ending {} running request{}", settings_.pool.name, ended,
                  ended == 1 ? "" : "s");
  }
}

void shutdown() {
  watchdog::stop();
  php_module_shutdown();
  sapi_shutdown();
  tsrm_shutdown();
  pool_ini::clear();
  std::free(ini_entries_);
  std::free(ini_path_);
  std::free(installed_ini_dir_);
  installed_ini_dir_ = nullptr;
  ini_entries_ = nullptr;
  ini_path_ = nullptr;
}

void serve(pool::WorkerPool& pool, unsigned worker_id) {
  // The pool's own workers (a status_listen pool's are numbered from its offset up).
  static std::once_flag replacer;
  if (pool.id_offset() == 0) {
    std::call_once(replacer, [&pool] {
      watchdog::on_lost_worker([&pool](unsigned id) {
        if (id <= pool.size()) pool.replace_lost_worker(id);
      });
      opcache_restart::attach_pool(pool);
    });
  }
  thread_state::confine_thread();
  start_context(worker_id);
  WorkerIdentity identity{worker_id, static_cast<long>(::syscall(SYS_gettid)), 0};
  // The scoreboard has the pool's pm.max_children slots, whichever pool's thread comes first
  // (a pm.status_listen worker's id is past them: it is not listed).
  pool_status::worker_started(settings_, static_cast<unsigned>(std::max(settings_.pool.pm.max_children, 1)),
                              worker_id, identity.tid);
  fcgi::OutputSink sink;
  pool::Job job;
  while (pool.next(job)) {
    pool_status::request_accepted(worker_id);
    try {
      ++identity.requests;
      RequestContext ctx;
      ctx.worker = &identity;
      ctx.request = &job.request;
      ctx.sink = &sink;
      sink.begin(std::move(job.channel), job.request.id, job.request.keep_conn);
      if (!execute(ctx, executor_settings_)) {
        // A bailout escaped: this context may hold half-torn-down state. A fresh one, as
        // FrankenPHP does for an "unhealthy" thread; the process and the other workers go on.
        free_context();
        start_context(worker_id);
      }
    } catch (const std::exception& e) {
      spdlog::error("worker {}: request failed: {}", worker_id, e.what());
      if (sink.active()) sink.end(255);
    }
    pool_status::request_idle(worker_id);
    job = pool::Job{};
    // The response has gone out: an opcache_reset() of this request drains PHP now.
    opcache_restart::after_request();
    // pm.max_requests: this thread and its PHP context go; the pool starts a fresh thread.
    const auto max_requests = settings_.pool.pm.max_requests;
    if (max_requests > 0 && identity.requests >= static_cast<std::uint64_t>(max_requests)) break;
  }
  pool_status::worker_stopped(worker_id);
  free_context();
}

std::string version_text() {
  return std::string("PHP ") + PHP_VERSION + " (fpm-fcgi) (built: " + __DATE__ + " " + __TIME__ +
         ")\nCopyright (c) The PHP Group\nZend Engine v" ZEND_VERSION ", Copyright (c) Zend Technologies";
}

}  // namespace zfpm::php
