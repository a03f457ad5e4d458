// Functions PHP calls (the opcache_reset() replacement) and the bare requests below run where
// PHP can longjmp: no C++ object with a destructor is alive in their frames.
#include "opcache_restart.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <utility>

#include "execution_timer.hpp"
#include "request_gate.hpp"
#include "sapi.hpp"
#include "zfpm/pool/worker_pool.hpp"

extern "C" {
#include <Zend/zend_ini.h>
#include <main/php_main.h>
}

namespace zfpm::php::opcache_restart {
namespace {

// This thread's script called opcache_reset(): the drain starts when its request has ended, so a
// script that goes on after the call does not hold the pool paused.
thread_local bool t_asked = false;
// This thread paused the pool as its response ended (response_ending); after_request resumes it.
thread_local bool t_paused = false;
// This thread's request made a reset wanted (request_ended); its after_request sees it done.
thread_local bool t_wants = false;
// A reset waits for its drain (asked for, or deferred when a drain gave up).
std::atomic<bool> wanted_{false};
// Held by the one thread that drains; the others leave the reset to it.
std::mutex draining_;
std::atomic<pool::WorkerPool*> pool_{nullptr};
// opcache's own handler, the same in every thread's copy of the function table.
std::atomic<zif_handler> opcache_reset_{nullptr};

zend_function* find_function(const char* name) {
  return static_cast<zend_function*>(
      zend_hash_str_find_ptr(CG(function_table), name, std::strlen(name)));
}

// opcache_get_status(false)[key] is true; false when opcache refuses (restrict_api, with its
// warning, or not started).
bool opcache_status_flag(const char* key) {
  zend_function* status = find_function("opcache_get_status");
  if (!status) return false;
  zval full;
  ZVAL_FALSE(&full);
  zval result;
  ZVAL_UNDEF(&result);
  zend_call_known_function(status, nullptr, nullptr, &result, 1, &full, nullptr);
  bool flag = false;
  if (Z_TYPE(result) == IS_ARRAY) {
    zval* value = zend_hash_str_find(Z_ARRVAL(result), key, std::strlen(key));
    flag = value && Z_TYPE_P(value) == IS_TRUE;
  }
  zval_ptr_dtor(&result);
  return flag;
}

// opcache_reset() answers as opcache would (zend_accelerator_module.c: ZEND_FUNCTION
// (opcache_reset)): false when restrict_api refuses this script (opcache_get_status gives the
// same warning) or the cache is off (opcache.enable=0, or a restart already pending); else true,
// the reset being scheduled.
ZEND_FUNCTION(zfpm_opcache_reset) {
  ZEND_PARSE_PARAMETERS_NONE();
  if (!opcache_status_flag("opcache_enabled")) RETURN_FALSE;
  t_asked = true;
  RETURN_TRUE;
}

// The request that asked passed restrict_api; a bare request has no script path to check.
void lift_restrict_api() {
  zend_string* key = zend_string_init(ZEND_STRL("opcache.restrict_api"), 0);
  zend_alter_ini_entry_chars(key, "", 0, ZEND_INI_SYSTEM, ZEND_INI_STAGE_RUNTIME);
  zend_string_release(key);  // the request's shutdown restores the entry
}

void schedule_restart() {
  lift_restrict_api();
  zend_function* reset = find_function("opcache_reset");
  zif_handler original = opcache_reset_.load();
  if (!reset || !original) return;
  reset->internal_function.handler = original;  // this thread's table; set back after
  zval result;
  ZVAL_UNDEF(&result);
  zend_call_known_function(reset, nullptr, nullptr, &result, 0, nullptr, nullptr);
  zval_ptr_dtor(&result);
}

thread_local bool t_still_pending = false;

void read_pending() {
  lift_restrict_api();
  t_still_pending = opcache_status_flag("restart_pending");
}

// A request of no client on this thread, as php_embed runs one: output has nowhere to go (the
// SAPI writes it to stderr), and opcache's request startup carries out a scheduled restart.
void bare_request(void (*body)()) {
  zend_first_try {
    if (php_request_startup() == SUCCESS) {
      SG(headers_sent) = 1;
      SG(request_info).no_headers = 1;
      body();
    }
  }
  zend_end_try();
  execution_timer::keep_through_shutdown();
  zend_try { php_request_shutdown(nullptr); }
  zend_end_try();
  execution_timer::after_shutdown();
}

// With the gate closed and nobody inside: one request schedules the restart, the next one's
// startup carries it out (ZendAccelerator.c: accel_activate). The other threads clean their own
// caches of the old memory at their next request (its last_restart_time check), as php-fpm's
// other children do.
bool restart_cache() {
  bare_request(schedule_restart);
  replace_function_handler("opcache_reset", ZEND_FN(zfpm_opcache_reset));
  for (int attempt = 0; attempt < 3; ++attempt) {
    bare_request(read_pending);
    if (!t_still_pending) return true;
  }
  return false;
}

std::chrono::milliseconds drain_bound() {
  double seconds = zend_ini_double(ZEND_STRL("zfpm.opcache_reset_timeout"), 0);
  if (!(seconds > 0)) seconds = 0;
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

void drain(pool::WorkerPool& pool) {
  const auto bound = drain_bound();
  const auto begin = std::chrono::steady_clock::now();
  pool.pause();
  const request_gate::Closing closing = request_gate::close(bound);
  bool restarted = false;
  if (closing.quiet) {
    restarted = restart_cache();
    wanted_.store(false);
    request_gate::open();
  }
  pool.resume();
  const std::chrono::duration<double> paused = std::chrono::steady_clock::now() - begin;
  if (!closing.quiet) {
    spdlog::warn(
        "[pool {}] opcache reset deferred: {} of {} running requests still running after "
        "{:.3f} seconds (zfpm.opcache_reset_timeout); serving on, the reset follows once they "
        "have ended",
        pool.name(), closing.left, closing.running, paused.count());
  } else if (restarted) {
    spdlog::info(
        "[pool {}] opcache reset: the pool paused {:.6f} seconds ({} requests were "
        "running)",
        pool.name(), paused.count(), closing.running);
  } else {
    spdlog::error("[pool {}] opcache reset failed: opcache did not restart", pool.name());
  }
}

}  // namespace

void attach_pool(pool::WorkerPool& pool) { pool_.store(&pool); }

void override_functions() {
  zend_function* reset = find_function("opcache_reset");
  if (!reset || reset->type != ZEND_INTERNAL_FUNCTION) return;  // no opcache (ASan build)
  zif_handler expected = nullptr;
  opcache_reset_.compare_exchange_strong(expected, reset->internal_function.handler);
  replace_function_handler("opcache_reset", ZEND_FN(zfpm_opcache_reset));
}

void response_ending() {
  if (!t_asked || t_paused) return;
  if (pool::WorkerPool* pool = pool_.load()) {
    pool->pause();
    t_paused = true;
  }
}

void request_ended() {
  if (!t_asked) return;
  t_asked = false;
  t_wants = true;
  wanted_.store(true);
}

void after_request() {
  pool::WorkerPool* pool = pool_.load();
  const bool mine = std::exchange(t_wants, false);
  if (wanted_.load(std::memory_order_relaxed) && pool &&
      // Deferred: the drain comes back once the requests that held the last one off have ended.
      request_gate::holdouts() == 0) {
    // Another thread may be draining. The one whose request asked waits for it (its pause holds
    // the pool meanwhile): if that drain's reset came before the ask, wanted_ is still set when
    // it is over, and this thread drains once more. The others go on: the pool is paused.
    std::unique_lock lock(draining_, std::defer_lock);
    if (mine) {
      lock.lock();
    } else {
      (void)lock.try_lock();
    }
    if (lock.owns_lock() && wanted_.load()) drain(*pool);
  }
  if (t_paused) {
    t_paused = false;
    pool->resume();
  }
}

}  // namespace zfpm::php::opcache_restart
