#include "zfpm/php/runtime.hpp"

#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "executor.hpp"
#include "request_context.hpp"
#include "sapi.hpp"

extern "C" {
#include <TSRM.h>
#include <main/php_main.h>
#include <Zend/zend_extensions.h>
}

namespace zfpm::php {
namespace {

RuntimeSettings settings_;
char* ini_entries_ = nullptr;
char* ini_path_ = nullptr;

// INI that zfpm supplies before the user's -d: opcache is part of the server, as in php-fpm
// packages; php.ini and -d still override its settings.
std::string build_ini_entries(const RuntimeSettings& settings) {
#ifdef ZFPM_SANITIZER_BUILD
  std::string ini;  // see CMakeLists.txt: no opcache under ASan
#else
  std::string ini = "zend_extension=opcache\n";
#endif
  for (const auto& define : settings.ini_defines) ini += define + "\n";
  return ini;
}

}  // namespace

bool startup(const RuntimeSettings& settings) {
  settings_ = settings;
  std::signal(SIGPIPE, SIG_IGN);  // fpm_main.c does the same; write errors are handled per call
  php_tsrm_startup();
  sapi_startup(&sapi);
  std::string ini = build_ini_entries(settings);
  ini_entries_ = static_cast<char*>(std::malloc(ini.size() + 1));
  std::memcpy(ini_entries_, ini.c_str(), ini.size() + 1);
  sapi.ini_entries = ini_entries_;
  sapi.php_ini_ignore = settings.no_php_ini ? 1 : 0;
  sapi.php_ini_ignore_cwd = 1;  // as php-fpm: never a php.ini from the current directory
  if (!settings.php_ini.empty()) {
    ini_path_ = strdup(settings.php_ini.c_str());
    sapi.php_ini_path_override = ini_path_;
  }
  if (sapi.startup(&sapi) == FAILURE) {
    spdlog::error("PHP module startup failed");
    return false;
  }
#ifndef ZFPM_SANITIZER_BUILD
  if (!zend_get_extension("Zend OPcache")) {
    spdlog::warn("opcache is not loaded: every request compiles its scripts again");
  }
#endif
  return true;
}

void shutdown() {
  php_module_shutdown();
  sapi_shutdown();
  tsrm_shutdown();
  std::free(ini_entries_);
  std::free(ini_path_);
  ini_entries_ = nullptr;
  ini_path_ = nullptr;
}

void serve(pool::WorkerPool& pool, unsigned worker_id) {
  // The thread's own PHP context: globals, GINITs, copied INI and function tables.
  (void)ts_resource(0);
  WorkerIdentity identity{worker_id, static_cast<long>(::syscall(SYS_gettid)), 0};
  fcgi::OutputSink sink;
  pool::Job job;
  while (pool.next(job)) {
    try {
      ++identity.requests;
      RequestContext ctx;
      ctx.worker = &identity;
      ctx.request = &job.request;
      ctx.sink = &sink;
      ctx.script_path = resolve_script(job.request.params, settings_.document_root);
      sink.begin(std::move(job.channel), job.request.id, job.request.keep_conn);
      execute(ctx);
    } catch (const std::exception& e) {
      spdlog::error("worker {}: request failed: {}", worker_id, e.what());
      if (sink.active()) sink.end(255);
    }
    job = pool::Job{};
  }
  ts_free_thread();
}

std::string version_text() {
  return std::string("PHP ") + PHP_VERSION + " (fpm-fcgi) (built: " + __DATE__ + " " + __TIME__ +
         ")\nCopyright (c) The PHP Group\nZend Engine v" ZEND_VERSION ", Copyright (c) Zend Technologies";
}

}  // namespace zfpm::php
