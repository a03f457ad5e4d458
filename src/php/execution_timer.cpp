#include "execution_timer.hpp"

#include <unistd.h>

#include <ctime>

extern "C" {
#include <php.h>
}

namespace zfpm::php::execution_timer {
namespace {

// The pid EG(pid) held before shutdown; 0 when this thread has no timer kept.
thread_local pid_t t_kept = 0;

// The process's pid, asked once per thread: worker threads start after the pool's fork.
pid_t process_id() {
  thread_local const pid_t pid = ::getpid();
  return pid;
}

}  // namespace

void keep_through_shutdown() {
#ifdef ZEND_MAX_EXECUTION_TIMERS
  t_kept = 0;
  if (EG(pid) <= 0 || EG(pid) != process_id()) return;
  t_kept = EG(pid);
  // Not 0: zend_unset_timeout, inside the shutdown, still disarms a timer with a non-zero pid.
  EG(pid) = -t_kept;
#endif
}

void after_shutdown() {
#ifdef ZEND_MAX_EXECUTION_TIMERS
  if (t_kept != 0 && EG(pid) == -t_kept) EG(pid) = t_kept;
  t_kept = 0;
#endif
}

void release() {
#ifdef ZEND_MAX_EXECUTION_TIMERS
  if (EG(pid) > 0 && EG(pid) == process_id()) {
    timer_delete(EG(max_execution_timer_timer));
    EG(pid) = 0;
  }
#endif
}

}  // namespace zfpm::php::execution_timer
