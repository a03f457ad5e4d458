#pragma once
// request_terminate_timeout and the slowlog, in-process: one watchdog thread per process sleeps
// until the nearest deadline of any running request, then asks that request's own worker thread
// to write its slowlog entry or to die with a fatal error (interrupt.hpp). The worker survives
// and serves the next request. docs/timeouts.md tells the whole story.
#include <chrono>
#include <functional>
#include <string>

#include "watch_slot.hpp"
#include "zfpm/config/pool.hpp"

namespace zfpm::php::watchdog {

struct Settings {
  std::string pool = "www";
  std::chrono::seconds terminate_timeout{0};  // request_terminate_timeout; 0 = off
  bool track_finished = false;                // request_terminate_timeout_track_finished
  std::chrono::seconds slowlog_timeout{0};    // request_slowlog_timeout; 0 = off
  std::string slowlog;                        // slowlog (file)
  int trace_depth = 20;                       // request_slowlog_trace_depth
};

// On the main thread after PHP's module startup, before any worker: installs the interrupt
// function and the signal handlers, keeps a slot per worker thread, and starts the thread when
// a timeout is set.
void start(const config::PoolConfig& pool);

// After every worker has left; joins the thread.
void stop();

// Stop now (SIGTERM, SIGINT): every request running PHP ends at its next safe point, a blocking
// call (sleep, a read) returns at once, with the fatal error "zfpm is stopping now"; returns how
// many were running. From any thread.
std::size_t end_all_requests();

// The settings start() took (read-only afterwards).
const Settings& settings();

// Who replaces a worker stuck past request_terminate_timeout (its id); called on the watchdog
// thread, once per stuck request.
void on_lost_worker(std::function<void(unsigned worker_id)> replace);

// On a worker thread, right after its PHP context exists (ts_resource) / right before it is
// freed (ts_free_thread).
void attach_thread(unsigned worker_id, long tid);
void detach_thread();

// The calling worker's slot, or null. Safe in a signal handler.
Slot* current_slot();

// The hot path, on the worker thread: no allocation, no system call unless the watchdog sleeps
// past this request's first deadline. request_started reads SG(request_info).
void request_started();
void request_finished();  // fastcgi_finish_request()
void request_ended();

}  // namespace zfpm::php::watchdog
