#pragma once
// sleep() and usleep() that the slowlog's trace signal does not cut short. Any signal handler
// ends nanosleep() early, SA_RESTART or not (signal(7)), so a script traced for the slowlog
// would otherwise wake from sleep(10) after request_slowlog_timeout. These versions go back to
// sleep after the trace signal, and return early as PHP's own do for anything else: the
// termination signal, max_execution_time's timer, a pcntl signal.
namespace zfpm::php::traced_sleep {

// From the trace signal's handler: async-signal-safe.
void note_trace_signal();

// After each ts_resource(0) on a worker, when the slowlog is on: this thread's sleep and usleep
// replaced.
void override_functions();

}  // namespace zfpm::php::traced_sleep
