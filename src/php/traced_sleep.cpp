#include "traced_sleep.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>

#include "sapi.hpp"
#include "watchdog.hpp"

extern "C" {
#include <php.h>
}

namespace zfpm::php::traced_sleep {
namespace {

thread_local volatile std::sig_atomic_t t_traced = 0;

// After EINTR: only the trace signal (and nothing that wants the script to stop) sends us back
// to sleep.
bool only_traced() {
  if (!t_traced) return false;
  t_traced = 0;
  if (zend_atomic_bool_load(&EG(timed_out))) return false;
  const watchdog::Slot* slot = watchdog::current_slot();
  return !slot || slot->terminate_for.load() != slot->generation.load();
}

// Sleeps until `deadline` (CLOCK_MONOTONIC); false when a signal other than the trace ended it.
bool sleep_until(const timespec& deadline) {
  t_traced = 0;  // a trace before this sleep is no reason to ignore the next signal
  for (;;) {
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
    if (rc != EINTR) return true;
    if (!only_traced()) return false;
  }
}

timespec deadline_after(zend_long seconds, zend_long nanoseconds) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  timespec deadline{now.tv_sec + static_cast<time_t>(seconds),
                    now.tv_nsec + static_cast<long>(nanoseconds)};
  deadline.tv_sec += deadline.tv_nsec / 1'000'000'000;
  deadline.tv_nsec %= 1'000'000'000;
  return deadline;
}

// ext/standard/basic_functions.c: PHP_FUNCTION(sleep) — the unslept seconds when interrupted,
// rounded as glibc's sleep() rounds them.
ZEND_FUNCTION(zfpm_sleep) {
  zend_long seconds = 0;
  ZEND_PARSE_PARAMETERS_START(1, 1)
  Z_PARAM_LONG(seconds)
  ZEND_PARSE_PARAMETERS_END();
  if (seconds < 0) {
    zend_argument_value_error(1, "must be greater than or equal to 0");
    RETURN_THROWS();
  }
  const timespec deadline = deadline_after(static_cast<unsigned int>(seconds), 0);
  if (sleep_until(deadline)) RETURN_LONG(0);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long left_ns =
      (deadline.tv_sec - now.tv_sec) * 1'000'000'000LL + (deadline.tv_nsec - now.tv_nsec);
  if (left_ns < 0) left_ns = 0;
  RETURN_LONG(
      static_cast<zend_long>(left_ns / 1'000'000'000 + (left_ns % 1'000'000'000 >= 500'000'000)));
}

// PHP_FUNCTION(usleep).
ZEND_FUNCTION(zfpm_usleep) {
  zend_long microseconds = 0;
  ZEND_PARSE_PARAMETERS_START(1, 1)
  Z_PARAM_LONG(microseconds)
  ZEND_PARSE_PARAMETERS_END();
  if (microseconds < 0) {
    zend_argument_value_error(1, "must be greater than or equal to 0");
    RETURN_THROWS();
  }
  const auto value = static_cast<unsigned int>(microseconds);
  sleep_until(deadline_after(value / 1'000'000, static_cast<zend_long>(value % 1'000'000) * 1000));
}

}  // namespace

void note_trace_signal() { t_traced = 1; }

void override_functions() {
  replace_function_handler("sleep", ZEND_FN(zfpm_sleep));
  replace_function_handler("usleep", ZEND_FN(zfpm_usleep));
}

}  // namespace zfpm::php::traced_sleep
