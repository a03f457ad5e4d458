#include "interrupt.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "slowlog.hpp"
#include "traced_sleep.hpp"
#include "watchdog.hpp"

extern "C" {
#include <Zend/zend_atomic.h>
#include <Zend/zend_execute.h>
}

namespace zfpm::php::interrupt {
namespace {

void (*previous_)(zend_execute_data* execute_data) = nullptr;
std::atomic<bool> stopping_{false};

int terminate_signal() { return SIGRTMIN + 3; }
int trace_signal() { return SIGRTMIN + 4; }

// Takes an action asked for the request that runs now; a late one (its request is over) stays
// untaken and is overwritten by the next ask.
bool take(std::atomic<std::uint64_t>& action, std::uint64_t generation) {
  std::uint64_t expected = generation;
  return generation % 2 == 1 && action.compare_exchange_strong(expected, 0);
}

// zend_interrupt_helper calls this on the worker's own thread at a VM safe point, unless
// max_execution_time expired (then PHP's own zend_timeout runs). PHP may longjmp out of here
// (zend_error_noreturn): only trivially destructible locals.
void on_interrupt(zend_execute_data* execute_data) {
  if (previous_) previous_(execute_data);
  watchdog::Slot* slot = watchdog::current_slot();
  if (!slot) return;
  const std::uint64_t generation = slot->generation.load(std::memory_order_relaxed);
  if (take(slot->trace_for, generation)) slowlog::write_entry(*slot, EG(current_execute_data));
  if (take(slot->terminate_for, generation)) {
    if (stopping_.load(std::memory_order_acquire)) {
      zend_error_noreturn(E_ERROR,
                          "zfpm is stopping now (SIGTERM or SIGINT): the request was ended");
    }
    const long seconds = static_cast<long>(watchdog::settings().terminate_timeout.count());
    zend_error_noreturn(E_ERROR,
                        "Maximum execution time of %ld second%s exceeded "
                        "(request_terminate_timeout)",
                        seconds, seconds == 1 ? "" : "s");
  }
}

// Its only purpose is to be a handler: a blocking system call returns EINTR.
void on_terminate_signal(int) {}

// On the worker thread, anywhere. Inside an internal function (sleep, a database query, a long
// preg_match) the frame chain stands still, so the entry is written here, as php-fpm's tracer
// reads a stopped child; in PHP code the interrupt function writes it at the next safe point.
void on_trace_signal(int) {
  const int saved_errno = errno;
  traced_sleep::note_trace_signal();
  watchdog::Slot* slot = watchdog::current_slot();
  if (slot && slot->current_execute_data) {
    const zend_execute_data* top = *slot->current_execute_data;
    if (top && top->func && top->func->type == ZEND_INTERNAL_FUNCTION &&
        take(slot->trace_for, slot->generation.load(std::memory_order_relaxed))) {
      slowlog::write_entry(*slot, top);
    }
  }
  errno = saved_errno;
}

void set_handler(int signal, void (*handler)(int), int flags) {
  struct sigaction action {};
  action.sa_handler = handler;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  if (sigaction(signal, &action, nullptr) != 0) {
    spdlog::error("sigaction({}) failed: {}", signal, std::strerror(errno));
  }
}

void wake(watchdog::Slot& slot, int signal) {
  if (!slot.attached || !slot.vm_interrupt) return;
  zend_atomic_bool_store(slot.vm_interrupt, true);
  int rc = pthread_kill(slot.thread, signal);
  if (rc != 0)
    spdlog::error("pthread_kill(worker {}) failed: {}", slot.worker_id, std::strerror(rc));
}

}  // namespace

void install() {
  previous_ = zend_interrupt_function;
  zend_interrupt_function = on_interrupt;
  set_handler(terminate_signal(), on_terminate_signal, 0);  // no SA_RESTART: EINTR
  set_handler(trace_signal(), on_trace_signal, SA_RESTART);
}

void uninstall() {
  if (zend_interrupt_function == on_interrupt) zend_interrupt_function = previous_;
  previous_ = nullptr;
}

void prepare_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, terminate_signal());
  sigaddset(&set, trace_signal());
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void request_trace(watchdog::Slot& slot) { wake(slot, trace_signal()); }

void request_termination(watchdog::Slot& slot) { wake(slot, terminate_signal()); }

void note_stopping() { stopping_.store(true, std::memory_order_release); }

}  // namespace zfpm::php::interrupt
