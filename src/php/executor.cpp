#include "executor.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "cgi_ini.hpp"
#include "environment.hpp"
#include "execution_timer.hpp"
#include "fastcgi_log.hpp"
#include "opcache_restart.hpp"
#include "pool_status.hpp"
#include "post_body.hpp"
#include "request_gate.hpp"
#include "request_info.hpp"
#include "request_ini.hpp"
#include "sapi.hpp"
#include "thread_state.hpp"
#include "watchdog.hpp"

extern "C" {
#include <Zend/zend_virtual_cwd.h>
#include <main/fopen_wrappers.h>
#include <main/php_main.h>
}

namespace zfpm::php {
namespace {

// php-fpm resolves the script with tsrm_realpath, through the thread's realpath cache
// (realpath_cache_size, realpath_cache_ttl): a lookup in memory, where realpath(3) costs a
// readlink per path component on every request.
class RealpathCacheProbe final : public FileProbe {
 public:
  bool is_regular_file(const std::string& path) const override {
    return system_.is_regular_file(path);
  }
  bool resolves(const std::string& path) const override {
    char resolved[MAXPATHLEN];
    return tsrm_realpath(path.c_str(), resolved) != nullptr;
  }

 private:
  SystemFileProbe system_;
};

// The env and the script, as init_request_info leaves them. Runs before PHP's request starts, on
// the worker's own PHP context (the realpath cache is the thread's).
RequestInfo prepare(RequestContext& ctx, const ExecutorSettings& settings) {
  ctx.env = RequestEnv(ctx.request->params, ctx.request->role);
  if (!settings.document_root.empty() && !ctx.env.get("SCRIPT_FILENAME") &&
      !ctx.env.get("PATH_TRANSLATED")) {
    if (const char* name = ctx.env.get("SCRIPT_NAME")) {
      std::string path = settings.document_root;
      if (!path.ends_with('/') && name[0] != '/') path += '/';
      ctx.env.set("SCRIPT_FILENAME", path + name);
    }
  }
  const char* doc_root = cgi_ini::doc_root();
  PathSettings path_settings{.fix_pathinfo = cgi_ini::fix_pathinfo(),
                             .discard_path = cgi_ini::discard_path(),
                             .doc_root = doc_root ? doc_root : ""};
  RequestInfo info = init_request_info(ctx.env, path_settings, RealpathCacheProbe());
  ctx.script_path = info.script_path.value_or("");
  return info;
}

// SG(request_info) as init_request_info fills it; the strings are borrowed from the env, which
// outlives the request.
void fill_request_info(RequestContext& ctx, const RequestInfo& info) {
  SG(server_context) = &ctx;
  SG(sapi_headers).http_response_code = 200;
  sapi_request_info& request = SG(request_info);
  request.request_method = const_cast<char*>(ctx.env.get("REQUEST_METHOD"));
  request.proto_num = 1000;
  request.request_uri = const_cast<char*>(info.request_uri);
  request.path_translated = nullptr;
  request.query_string = nullptr;
  request.content_type = nullptr;
  request.content_length = 0;
  if (!info.script_path) return;  // the 404: php-fpm leaves the rest unset
  request.path_translated = estrndup(info.script_path->data(), info.script_path->size());
  request.query_string = const_cast<char*>(ctx.env.get("QUERY_STRING"));
  const char* content_type = ctx.env.get("CONTENT_TYPE");
  request.content_type = content_type ? content_type : "";  // NULL would skip reading the body
  if (const char* length = ctx.env.get("CONTENT_LENGTH")) {
    // atol: leading digits, anything else is 0.
    std::from_chars(length, length + std::strlen(length), request.content_length);
  }
  php_handle_auth_data(ctx.env.get("HTTP_AUTHORIZATION"));
}

void clear_request_info() {
  sapi_request_info& info = SG(request_info);
  info.request_method = nullptr;
  info.query_string = nullptr;
  info.content_type = nullptr;
  info.request_uri = nullptr;
  info.path_translated = nullptr;
  SG(server_context) = nullptr;
}

// php-fpm's log lines for the three refusals; each goes to our log and, as zlog's external
// logger does, to the web server.
void log_event(RequestContext& ctx, spdlog::level::level_enum level, const char* format,
               const char* path, const char* reason = "") noexcept {
  try {
    std::string text = format;
    if (auto at = text.find("%s"); at != std::string::npos) text.replace(at, 2, path);
    if (auto at = text.find("%s"); at != std::string::npos) text.replace(at, 2, reason);
    spdlog::log(level, "{}", text);
    log_to_web_server(ctx, text);
  } catch (...) {
  }
}

void answer(int status, const char* body) {
  zend_try {
    SG(sapi_headers).http_response_code = status;
    PUTS(body);
  }
  zend_end_try();  // the client left: nothing more to say
}

// The body of php-fpm's request loop between startup and shutdown. PHP can longjmp out of here:
// only trivially destructible locals.
void run(RequestContext& ctx, const ExecutorSettings& settings) {
  // ping.path and pm.status_path (fpm_status_handle_request). php-fpm asks for REQUEST_METHOD
  // first; zfpm also answers a monitoring client that sends SCRIPT_NAME and QUERY_STRING only.
  if (pool_status::handle_status_or_ping(ctx)) return;
  // Without REQUEST_METHOD it is not HTTP over FastCGI: headers only, nothing runs.
  if (!SG(request_info).request_method) return;
  const char* path = SG(request_info).path_translated;
  if (!path) {
    log_event(ctx, spdlog::level::debug, "Primary script unknown", "");
    answer(404, "File not found.\n");
    return;
  }
  if (!extension_allowed(path, settings.limit_extensions)) {
    log_event(ctx, spdlog::level::info,
              "Access to the script '%s' has been denied (see security.limit_extensions)", path);
    answer(403, "Access denied.\n");
    return;
  }
  zend_file_handle handle{};
  // php_fopen_primary_script frees path_translated when it fails; the log line needs the path.
  char* primary_script = estrdup(path);
  if (php_fopen_primary_script(&handle) == FAILURE) {
    int error = errno;
    log_event(ctx, spdlog::level::err, "Unable to open primary script: %s (%s)", primary_script,
              std::strerror(error));
    if (error == EACCES) {
      answer(403, "Access denied.\n");
    } else {
      answer(404, "No input file specified.\n");
    }
  } else {
    EG(exit_status) = 0;
    pool_status::request_running(ctx);
    php_execute_script(&handle);
    // With opcache the handle is not always in CG(open_files): then it is ours to destroy. Only
    // an opened handle: php_fopen_primary_script can fail before it initialises the handle, and
    // php-fpm (fpm_main.c) destroys nothing on that path either.
    if (!handle.in_list) zend_destroy_file_handle(&handle);
  }
  efree(primary_script);
}

// fpm_main.c: fastcgi.error_header replaces the status when the script died (exit status 255)
// before any output.
void apply_error_header() {
  if (EG(exit_status) != 255 || SG(headers_sent)) return;
  const char* header = cgi_ini::error_header();
  if (!header || !*header) return;
  sapi_header_line line{};
  line.line = header;
  line.line_len = std::strlen(header);
  sapi_header_op(SAPI_HEADER_REPLACE, &line);
}

}  // namespace

bool execute(RequestContext& ctx, const ExecutorSettings& settings) {
  RequestInfo info;
  try {
    info = prepare(ctx, settings);
  } catch (const std::exception& e) {
    spdlog::error("request setup failed: {}", e.what());
    if (ctx.sink->active()) ctx.sink->end(255);
    return true;
  }
  // Waits here while an opcache reset drains PHP (opcache_restart.hpp): before the request's
  // clock starts for the watchdog and the scoreboard.
  request_gate::enter();
  fill_request_info(ctx, info);
  pool_status::request_info(ctx);
  watchdog::request_started();  // request_terminate_timeout and the slowlog count from here
  volatile bool started = false;
  volatile bool healthy = true;
  zend_first_try {
    apply_request_ini(ctx);
    post_body::prefer_memory();
    started = true;
    if (php_request_startup() == FAILURE) {
      spdlog::error("PHP request startup failed");
      healthy = false;
    } else {
      run(ctx, settings);
      apply_error_header();
    }
  }
  zend_catch { healthy = false; }
  zend_end_try();
  // fpm_request_end + fpm_log_write: before shutdown, so shutdown functions are not measured.
  if (started) pool_status::request_ended(ctx);

  if (SG(request_info).path_translated) {
    efree(SG(request_info).path_translated);
    SG(request_info).path_translated = nullptr;
  }
  if (started) {
    // Also after a failed startup (FrankenPHP does the same): it restores the INI entries and
    // frees what the request allocated before the thread's context is replaced.
    execution_timer::keep_through_shutdown();
    zend_try { php_request_shutdown(nullptr); }
    zend_catch { healthy = false; }
    zend_end_try();
    execution_timer::after_shutdown();
  }
  opcache_restart::request_ended();
  request_gate::leave();
  if (!healthy)
    spdlog::error("a PHP bailout escaped the request; replacing the worker's PHP context");
  // Normally END_REQUEST went out in the SAPI's deactivate; if startup failed, send it here.
  if (ctx.sink->active() && !ctx.finished) {
    try {
      ctx.sink->end(255);
    } catch (...) {
    }
  }
  watchdog::request_ended();
  clear_request_info();
  environment::reset_thread();
  thread_state::reset_after_request();
  return healthy;
}

}  // namespace zfpm::php
