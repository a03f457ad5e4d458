#pragma once
// The error log: spdlog in php-fpm's grammar, so that what users and tests grep for keeps
// working: "[21-Nov-2026 10:00:00] NOTICE: ready to handle connections". Each line is one
// write(2) on an O_APPEND descriptor, so the master's and the children's lines never mix.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

namespace zfpm::obs {

// php-fpm's log_level names: debug, notice, warning, error, alert.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Installs the stderr logger with php-fpm's line format as spdlog's default.
void init_logging(spdlog::level::level_enum level);

// log_format = json (zfpm's own): every line from now on is one JSON object,
// {"time":"2026-11-21T10:00:00.123+00:00","level":"NOTICE","pid":2300,"message":"..."}, for log
// shippers; php-fpm's line format otherwise.
void set_json_lines(bool json);

// Sends the log to `path` (opened O_APPEND, created 0600 as php-fpm does) from now on. False with
// *error (strerror) when it cannot be opened; the log stays where it was.
bool log_to_file(const std::string& path, std::string* error);
// Sends the log to syslog(3) with this ident and facility (php-fpm's syslog.* names).
bool log_to_syslog(const std::string& ident, const std::string& facility, std::string* error);
// Creates/opens `path` for appending and returns the descriptor (-1 and *error): php-fpm opens its
// error_log even when it logs to stderr.
int open_log_file(const std::string& path, std::string* error);

// In a pool child about to take over its stdout/stderr (catch_workers_output): a log that goes to
// stderr goes to a copy of it from now on. No effect for a file or syslog.
void keep_stderr_log();

// Writes one line to the log's destination as it is (decorate_workers_output = no).
void log_raw_line(std::string_view line);

// SIGUSR1: opens the log file again (after logrotate moved it). True when there is nothing to
// reopen (stderr, syslog).
bool reopen_log(std::string* error);

}  // namespace zfpm::obs
