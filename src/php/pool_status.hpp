#pragma once
// php-fpm's request-loop bookkeeping for the status page and the access log (fpm_request.c,
// fpm_log.c, fpm_status.c), on zfpm's worker threads: each worker reports its stages to the
// process's obs::Scoreboard, answers ping.path and pm.status_path before any script runs, and
// writes its access.log line when the script has ended, before php_request_shutdown — so that
// shutdown functions are not in %d and %M, as in php-fpm. Private to php/.
#include <string>

#include "request_context.hpp"
#include "zfpm/obs/scoreboard.hpp"
#include "zfpm/php/runtime.hpp"

namespace zfpm::php::pool_status {

// At PHP's startup, before any worker: creates the scoreboard (one slot per worker) and opens
// the access log, so both exist once the pool says it is ready. Never throws.
void prepare(const RuntimeSettings& settings, unsigned workers);
// On every worker thread as it starts (prepares first if nothing did). Never throws.
void worker_started(const RuntimeSettings& settings, unsigned workers, unsigned worker, long tid);
void worker_stopped(unsigned worker);

// Around each request, on its worker (plain C++, outside PHP).
void request_accepted(unsigned worker);
void request_idle(unsigned worker);
// Once SG(request_info) is filled (fpm_request_info).
void request_info(const RequestContext& ctx) noexcept;
// The script starts (fpm_request_executing).
void request_running(const RequestContext& ctx) noexcept;
// fastcgi_finish_request() sent the response.
void request_finishing(const RequestContext& ctx) noexcept;
// The script ended, the request is still alive: measures and the access log line (fpm_request_end
// + fpm_log_write).
void request_ended(const RequestContext& ctx) noexcept;

// Inside the request, before the script is looked up: answers ping.path or pm.status_path and
// returns true, else false. Calls into PHP (it may longjmp): keeps no C++ object alive.
bool handle_status_or_ping(const RequestContext& ctx);

// The process's scoreboard, or null before the first worker started.
obs::Scoreboard* scoreboard();

// pm.status_path, ping.path and ping.response ("" when unset).
struct Endpoints {
  std::string status_path;
  std::string ping_path;
  std::string ping_response;
};
const Endpoints& endpoints();

}  // namespace zfpm::php::pool_status
