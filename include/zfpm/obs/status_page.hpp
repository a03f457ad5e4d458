#pragma once
// php-fpm's status page (fpm_status.c: fpm_status_handle_request) rendered from a scoreboard
// snapshot: plain text, HTML, XML, JSON and OpenMetrics with php-fpm's field names, order and
// spacing. The request URI and query string are escaped per format; the pool, user and script are
// not, as in php-fpm. zfpm's additions (a "thread id" per worker in JSON and XML, per-worker
// OpenMetrics series) are appended where a parser of php-fpm's output ignores them.
#include <string>

#include "zfpm/obs/scoreboard.hpp"
#include "zfpm/obs/status_query.hpp"

namespace zfpm::obs {

// The whole body. `full` adds one record per worker; for OpenMetrics, zfpm's per-worker series
// (without it the page is php-fpm's exactly, as its tests and exporters expect).
std::string render_status(const PoolSnapshot& snapshot, StatusQuery query);

// OpenMetrics alone (status_openmetrics.cpp).
std::string render_status_openmetrics(const PoolSnapshot& snapshot, bool per_worker);

// strftime with localtime, as php-fpm formats its times.
std::string format_local_time(std::time_t when, const char* format);

}  // namespace zfpm::obs
