#pragma once
// Process-wide state that php-fpm children own alone and zfpm's worker threads would share
// (docs/internals.md, "State PHP shares between threads"): the umask and the C locale. Each worker
// confines what a script could change under its neighbours' feet (opcache's shared memory:
// opcache_restart.hpp); docs/php.md says what scripts see.
namespace zfpm::php::thread_state {

// Once on each worker thread: its own umask (and real cwd) through unshare(CLONE_FS).
void confine_thread();

// After each ts_resource(0): this thread's setlocale() replaced (each worker has its own copy of
// the function table).
void override_functions();

// After every request: back to the process's locale.
void reset_after_request();

}  // namespace zfpm::php::thread_state
