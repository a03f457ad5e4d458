#pragma once
// php-fpm's slowlog entry (fpm_php_trace.c: fpm_php_trace_dump), written by the slow request's
// own worker thread instead of a ptrace-ing master:
//
//   (blank line)
//   [21-Nov-2026 10:00:00]  [pool www] pid 1234
//   script_filename = /srv/app/slow.php
//   request = GET /slow.php?id=1          <- zfpm's addition, see docs/timeouts.md
//   [0x00007f1c2a614090] sleep() /srv/app/slow.php:3
//   [0x00007f1c2a614020] inner() /srv/app/slow.php:7
//   ...                                   up to request_slowlog_trace_depth frames
#include <string>

#include "watch_slot.hpp"

namespace zfpm::php::slowlog {

// php-fpm creates the file when it reads its configuration; so does zfpm, at startup.
void create_file(const std::string& path);

// On the worker thread, from the interrupt function or from a signal handler: only
// async-signal-safe calls (no allocation, no stdio, no locks). Builds the entry from
// slot.trace_header, the request copied into the slot and the frames from `top` down, in the
// slot's buffer, and appends it to the slowlog with one write().
void write_entry(watchdog::Slot& slot, const zend_execute_data* top);

}  // namespace zfpm::php::slowlog
