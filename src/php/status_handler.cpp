// ping.path and pm.status_path, answered inside the request before any script is looked up
// (fpm_status.c: fpm_status_handle_request), and fpm_get_status(). These run inside PHP: the
// rendered text and the snapshot live in thread_local storage, never in a local that a longjmp
// (a client gone while PUTS writes) would skip.
#include <cstring>

#include "pool_status.hpp"
#include "status_function.hpp"
#include "zfpm/obs/status_page.hpp"
#include "zfpm/obs/status_query.hpp"

namespace zfpm::php {
namespace {

thread_local obs::PoolSnapshot snapshot;
thread_local std::string body;

// php-fpm compares SG(request_info).request_uri, which it only sets when SCRIPT_FILENAME or
// PATH_TRANSLATED came; a client that sends SCRIPT_NAME alone (as monitoring tools do) gets the
// status page too.
const char* status_uri(const RequestContext& ctx) {
  const char* uri = SG(request_info).request_uri;
  return uri ? uri : ctx.env.get("SCRIPT_NAME");
}

void no_cache_headers() {
  sapi_add_header_ex(ZEND_STRL("Expires: Thu, 01 Jan 1970 00:00:00 GMT"), 1, 1);
  sapi_add_header_ex(ZEND_STRL("Cache-Control: no-cache, no-store, must-revalidate, max-age=0"), 1,
                     1);
}

void content_type(obs::StatusFormat format) {
  switch (format) {
    case obs::StatusFormat::Html:
      sapi_add_header_ex(ZEND_STRL("Content-Type: text/html"), 1, 1);
      return;
    case obs::StatusFormat::Xml:
      sapi_add_header_ex(ZEND_STRL("Content-Type: text/xml"), 1, 1);
      return;
    case obs::StatusFormat::Json:
      sapi_add_header_ex(ZEND_STRL("Content-Type: application/json"), 1, 1);
      return;
    case obs::StatusFormat::OpenMetrics:
      sapi_add_header_ex(
          ZEND_STRL("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"), 1,
          1);
      return;
    case obs::StatusFormat::Plain:
      break;
  }
  sapi_add_header_ex(ZEND_STRL("Content-Type: text/plain"), 1, 1);
}

// Takes the snapshot into the thread's storage; false without a scoreboard.
bool take_snapshot(bool with_slots) noexcept {
  try {
    obs::Scoreboard* board = pool_status::scoreboard();
    if (!board) return false;
    snapshot = board->snapshot(with_slots);
    return true;
  } catch (...) {
    return false;
  }
}

// Renders the page into `body`; the format through *format.
bool render(const RequestContext& ctx, obs::StatusFormat* format) noexcept {
  try {
    const char* query_string = ctx.env.get("QUERY_STRING");
    const obs::StatusQuery query = obs::parse_status_query(query_string ? query_string : "");
    *format = query.format;
    if (!take_snapshot(true)) return false;
    body = obs::render_status(snapshot, query);
    return true;
  } catch (...) {
    return false;
  }
}

void release_buffers() noexcept {
  body.clear();
  body.shrink_to_fit();
  snapshot.slots.clear();
}

}  // namespace

bool pool_status::handle_status_or_ping(const RequestContext& ctx) {
  const Endpoints& paths = pool_status::endpoints();
  if (paths.status_path.empty() && paths.ping_path.empty()) return false;
  const char* uri = status_uri(ctx);
  if (!uri) return false;
  if (!paths.ping_path.empty() && std::strcmp(paths.ping_path.c_str(), uri) == 0) {
    request_running(ctx);
    sapi_add_header_ex(ZEND_STRL("Content-Type: text/plain"), 1, 1);
    no_cache_headers();
    SG(sapi_headers).http_response_code = 200;
    if (!SG(request_info).headers_only) {
      PHPWRITE(paths.ping_response.data(), paths.ping_response.size());
    }
    return true;
  }
  if (paths.status_path.empty() || std::strcmp(paths.status_path.c_str(), uri) != 0) return false;
  request_running(ctx);
  obs::StatusFormat format = obs::StatusFormat::Plain;
  if (!render(ctx, &format)) {
    SG(sapi_headers).http_response_code = 500;
    sapi_add_header_ex(ZEND_STRL("Content-Type: text/plain"), 1, 1);
    no_cache_headers();
    PUTS("Internal error. Please review log file for errors.");
    return true;
  }
  no_cache_headers();
  SG(sapi_headers).http_response_code = 200;
  // php-fpm answers HEAD before it sets the Content-Type: PHP's default one goes out.
  if (SG(request_info).headers_only) return true;
  content_type(format);
  PHPWRITE(body.data(), body.size());
  release_buffers();
  return true;
}

ZEND_FUNCTION(fpm_get_status) {
  ZEND_PARSE_PARAMETERS_NONE();
  if (!take_snapshot(true)) RETURN_FALSE;
  const obs::PoolSnapshot& s = snapshot;
  array_init(return_value);
  add_assoc_string(return_value, "pool", s.pool.c_str());
  add_assoc_string(return_value, "process-manager", s.process_manager.c_str());
  add_assoc_long(return_value, "start-time", s.start_epoch);
  add_assoc_long(return_value, "start-since", s.now_epoch - s.start_epoch);
  add_assoc_long(return_value, "accepted-conn", static_cast<zend_long>(s.accepted_conn));
  add_assoc_long(return_value, "listen-queue", s.listen_queue);
  add_assoc_long(return_value, "max-listen-queue", s.max_listen_queue);
  add_assoc_long(return_value, "listen-queue-len", s.listen_queue_len);
  add_assoc_long(return_value, "idle-processes", s.idle);
  add_assoc_long(return_value, "active-processes", s.active);
  add_assoc_long(return_value, "total-processes", s.idle + s.active);
  add_assoc_long(return_value, "max-active-processes", s.max_active);
  add_assoc_long(return_value, "max-children-reached", s.max_children_reached);
  add_assoc_long(return_value, "slow-requests", static_cast<zend_long>(s.slow_requests));
  zval procs;
  array_init(&procs);
  for (const obs::SlotSnapshot& slot : s.slots) {
    zval proc;
    array_init(&proc);
    add_assoc_long(&proc, "pid", slot.pid);
    add_assoc_string(&proc, "state", obs::stage_name(slot.stage));
    add_assoc_long(&proc, "start-time", slot.start_epoch);
    add_assoc_long(&proc, "start-since", s.now_epoch - slot.start_epoch);
    add_assoc_long(&proc, "requests", static_cast<zend_long>(slot.requests));
    add_assoc_long(&proc, "request-duration", static_cast<zend_long>(slot.duration_us));
    const obs::RequestFields& r = slot.request;
    add_assoc_string(&proc, "request-method", r.method.empty() ? "-" : r.method.c_str());
    add_assoc_string(&proc, "request-uri", r.uri.c_str());
    add_assoc_string(&proc, "query-string", r.query.c_str());
    add_assoc_long(&proc, "request-length", static_cast<zend_long>(r.content_length));
    add_assoc_string(&proc, "user", r.user.empty() ? "-" : r.user.c_str());
    add_assoc_string(&proc, "script", r.script.empty() ? "-" : r.script.c_str());
    add_assoc_double(&proc, "last-request-cpu", slot.last_cpu_percent);
    add_assoc_long(&proc, "last-request-memory", static_cast<zend_long>(slot.last_memory));
    add_next_index_zval(&procs, &proc);
  }
  add_assoc_zval(return_value, "procs", &procs);
}

}  // namespace zfpm::php
