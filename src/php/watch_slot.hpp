#pragma once
// One worker thread as the watchdog sees it (docs/internals.md, "PHP's timeouts"). The worker
// writes the request's start and end; the watchdog thread reads them and, past a deadline, asks
// the worker to act through EG(vm_interrupt) and a real-time signal. Every action names the
// request generation it is for, so a late one never lands on the next request. Private to php/.
#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

extern "C" {
#include <Zend/zend_atomic.h>
#include <php.h>  // Zend/zend_atomic.h needs the config php.h brings first
}

namespace zfpm::php::watchdog {

struct Slot {
  // Set when the worker attaches its PHP context (again after the context is replaced); read by
  // the watchdog only while holding its mutex, which detach also takes.
  pthread_t thread{};
  long tid = 0;
  unsigned worker_id = 0;
  bool attached = false;
  zend_atomic_bool* vm_interrupt = nullptr;
  zend_execute_data** current_execute_data = nullptr;

  // Written by the worker: odd while a request runs, bumped at its start and at its end.
  std::atomic<std::uint64_t> generation{0};
  std::atomic<std::int64_t> started_ns{0};  // steady clock
  std::atomic<bool> finished{false};        // fastcgi_finish_request() ended the response

  // The running request as php-fpm's scoreboard keeps it (fpm_request.c: fpm_request_info),
  // copied at its start under request_mutex; the watchdog copies it out under the same mutex.
  // The worker itself reads it without the lock (nobody else writes it).
  std::mutex request_mutex;
  char method[16] = {};
  char uri[512] = {};
  char query[512] = {};
  char script[1024] = {};

  // Set by the watchdog, taken (exchanged back to 0) on the worker thread: the generation a
  // slowlog trace or a termination is asked for.
  std::atomic<std::uint64_t> trace_for{0};
  std::atomic<std::uint64_t> terminate_for{0};
  // "\n[21-Nov-2026 10:00:00]  [pool www] pid 1234\n", written by the watchdog before trace_for;
  // the worker cannot format a time inside a signal handler.
  char trace_header[512] = {};
  // Where the worker builds the slowlog entry: preallocated, usable from a signal handler.
  std::unique_ptr<char[]> trace_buffer;
  std::size_t trace_capacity = 0;

  // The watchdog's own bookkeeping, under its mutex.
  std::uint64_t seen_generation = 0;
  std::uint64_t slow_logged = 0;  // generation whose slowlog entry was asked for
  std::uint64_t terminated = 0;   // generation whose termination was asked for
  std::int64_t last_kill_ns = 0;
  bool stuck_reported = false;
};

}  // namespace zfpm::php::watchdog
