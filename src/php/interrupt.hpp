#pragma once
// How the watchdog reaches a worker thread without stopping the process: EG(vm_interrupt) makes
// the VM call our zend_interrupt_function on that thread at its next safe point (function entry,
// backward jump, after an internal call), and a real-time signal sent to that thread only gets
// it there sooner (docs/internals.md, "PHP's timeouts"). Neither is SIGRTMIN, which PHP's
// max_execution_time timers own.
//  - termination: SIGRTMIN+3, a no-op handler without SA_RESTART, so a blocking call (sleep,
//    read) returns EINTR; the interrupt function then raises PHP's fatal error.
//  - slowlog trace: SIGRTMIN+4 with SA_RESTART, so a restartable call (read, recv, a lock) goes
//    on; its handler writes the entry itself when the thread sits in an internal function.
#include "watch_slot.hpp"

namespace zfpm::php::interrupt {

// Main thread, after module startup (zend_startup resets zend_interrupt_function), before the
// workers: chains the interrupt function, installs both signal handlers.
void install();
void uninstall();

// On each worker thread: both signals unblocked, whatever mask it inherited.
void prepare_thread();

// From the watchdog thread, for the slot's current trace_for / terminate_for.
void request_trace(watchdog::Slot& slot);
void request_termination(watchdog::Slot& slot);

// The pool stops now: a termination asked for from here on ends its request with "zfpm is
// stopping now" instead of request_terminate_timeout's message.
void note_stopping();

}  // namespace zfpm::php::interrupt
