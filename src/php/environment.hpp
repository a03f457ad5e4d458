#pragma once
// The process environment as scripts see it. php-fpm children each own their environ; zfpm's
// threads share one, and libc's setenv/getenv are not safe against each other. So scripts see a
// snapshot of environ taken at startup, and putenv() changes a per-thread overlay that is thrown
// away when the request ends (FrankenPHP does the same: frankenphp.c, PR #1409). Programs started
// with exec()/proc_open() inherit the real environ, not the overlay.
extern "C" {
#include <php.h>
}

namespace zfpm::php::environment {

// Copies environ; call once on the main thread before module startup. Installs the hooks PHP
// calls to fill $_SERVER/$_ENV and getenv() (fpm_main.c replaces the same two).
void startup();

// Replaces putenv() and getenv() in the calling thread's function table. Call on each worker
// thread after ts_resource(0).
void override_functions();

// Forgets this thread's putenv() changes; call after every request.
void reset_thread();

}  // namespace zfpm::php::environment
