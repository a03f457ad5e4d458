#pragma once
// opcache_reset() among threads. opcache only schedules a restart, which the next request startup
// of any thread carries out (ZendAccelerator.c: zend_accel_schedule_restart, accel_activate); it
// waits for the other readers of the cache with an fcntl lock that its own process never sees,
// so under ZTS the restart rewinds the shared memory under every running request (php-src
// GH-18517, GH-8739). Here a script's opcache_reset() only asks. As its response ends, the pool
// stops handing out requests (so none answered after it runs on the old cache); once the request
// has ended, the running ones finish (at most zfpm.opcache_reset_timeout), and with nobody inside
// PHP (request_gate.hpp) this thread schedules and carries out opcache's restart itself; then the
// pool serves on. docs/php.md tells the rest.
//
// opcache_invalidate() stays opcache's own: it marks one script stale and frees nothing
// (zend_accel_invalidate, zend_accel_discard_script), exactly what opcache does by itself when
// validate_timestamps sees a changed file, so threads still running the old copy are safe.
namespace zfpm::pool {
class WorkerPool;
}

namespace zfpm::php::opcache_restart {

// Once, before requests: the pool that stops handing out requests while a reset drains PHP (the
// pool's own, not pm.status_listen's, whose workers wait at the request gate).
void attach_pool(pool::WorkerPool& pool);

// After each ts_resource(0): this thread's opcache_reset() asks for a drained reset (each
// worker has its own copy of the function table).
void override_functions();

// From the SAPI, as a request's response ends (before END_REQUEST): when the request asked for a
// reset, the pool stops handing out requests from now on.
void response_ending();

// At the end of each request, still inside the request gate: a reset this request asked for is
// now wanted (a drain already waiting for this request covers it).
void request_ended();

// On a worker thread after each request, outside PHP: when a reset is wanted (a request asked for
// one, or an earlier drain gave up and the requests that held it off have ended), drains PHP and
// resets opcache, or leaves that to the thread already doing it.
void after_request();

}  // namespace zfpm::php::opcache_restart
