#pragma once
// max_execution_time's timer (PHP built with --enable-zend-max-execution-timers) kept for a worker
// thread's whole life. PHP creates a POSIX timer when a request starts and deletes it when the
// request ends (Zend/zend_max_execution_timer.c): timer_create, timer_delete, getpid twice,
// gettid and sigaction on every request. A worker thread serves requests one after another on the
// same context, so one timer per thread is enough; it is still armed and disarmed per request by
// PHP's own zend_set_timeout / zend_unset_timeout.
namespace zfpm::php::execution_timer {

// Around php_request_shutdown: PHP skips deleting a timer whose EG(pid) is not the process's,
// and skips creating one at the next request when EG(pid) is.
void keep_through_shutdown();
void after_shutdown();

// Before the thread's context is freed: the timer goes with it.
void release();

}  // namespace zfpm::php::execution_timer
