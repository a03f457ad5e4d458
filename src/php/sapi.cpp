// SAPI callbacks, called by PHP on the worker thread that runs the request. Rules (see
// docs/internals.md, "The PHP boundary"): no C++ exception may leave a callback, and no object
// with a destructor may be alive in a frame when PHP can longjmp out of it (zend_bailout from
// php_handle_aborted_connection, for one).
#include "sapi.hpp"

#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "cgi_ini.hpp"
#include "environment.hpp"
#include "fastcgi_log.hpp"
#include "opcache_restart.hpp"
#include "request_context.hpp"
#include "user_ini.hpp"

extern "C" {
#include <main/http_status_codes.h>
#include <main/php_main.h>
#include <main/php_output.h>
#include <main/php_variables.h>
}

namespace zfpm::php {

namespace {

RequestContext* current() { return static_cast<RequestContext*>(SG(server_context)); }

int on_startup(sapi_module_struct* module) { return php_module_startup(module, &extension); }

size_t on_ub_write(const char* str, size_t length) {
  RequestContext* ctx = current();
  if (!ctx) {
    // Output outside a request (startup, preload): nowhere to send it but our stderr.
    return fwrite(str, 1, length, stderr);
  }
  // After fastcgi_finish_request() output is dropped, and the script goes on (docs/php.md).
  if (ctx->finished) return length;
  bool ok = ctx->sink->write_stdout(std::string_view(str, length));
  if (!ok) php_handle_aborted_connection();  // may longjmp: nothing with a destructor is alive
  return length;
}

void on_flush(void* server_context) {
  auto* ctx = static_cast<RequestContext*>(server_context);
  if (!ctx || !ctx->sink->active()) return;
  bool ok = ctx->sink->flush();
  if (!ok) php_handle_aborted_connection();
}

bool starts_with_nocase(const char* text, size_t length, std::string_view prefix) {
  return length >= prefix.size() && strncasecmp(text, prefix.data(), prefix.size()) == 0;
}

// The status line as php-fpm writes it (fpm_main.c: sapi_cgi_send_headers): none for 200 unless
// cgi.nph, the raw status line with cgi.rfc2616_headers, the rest of a user "HTTP/1.x NNN reason"
// line, else the reason from PHP's own status map, and never when the script set its own Status:
// header. Returns the effective status code.
int append_status(std::string& out, sapi_headers_struct* headers) {
  int code = headers->http_response_code;
  if (code == 200 && !cgi_ini::nph()) return code;
  const char* line = headers->http_status_line;
  const char* space = line ? std::strchr(line, ' ') : nullptr;
  // php-fpm formats the line into a SAPI_CGI_MAX_HEADER_LENGTH (1024) buffer: at most 1023 bytes
  // survive (bug80849-fpm.phpt).
  constexpr std::size_t kMaxStatusLine = 1024 - 1;
  if (line && cgi_ini::rfc2616_headers()) {
    out.append(line, std::min(std::strlen(line), kMaxStatusLine)).append("\r\n");
    return space ? std::atoi(space + 1) : code;
  }
  if (space && space - line >= 5 && strncasecmp(line, "HTTP/", 5) == 0) {
    constexpr std::string_view kStatus = "Status:";
    out.append(kStatus)
        .append(space, std::min(std::strlen(space), kMaxStatusLine - kStatus.size()))
        .append("\r\n");
    return std::atoi(space + 1);
  }
  zend_llist_position pos;
  for (auto* h = static_cast<sapi_header_struct*>(zend_llist_get_first_ex(&headers->headers, &pos));
       h; h = static_cast<sapi_header_struct*>(zend_llist_get_next_ex(&headers->headers, &pos))) {
    if (h->header_len > 7 && starts_with_nocase(h->header, h->header_len, "Status:")) return code;
  }
  const http_response_status_code_pair* entry = http_status_map;
  while (entry->code != 0 && entry->code != code) ++entry;
  out.append("Status: ").append(std::to_string(code));
  if (entry->str) out.append(" ").append(entry->str);
  out.append("\r\n");
  return code;
}

int on_send_headers(sapi_headers_struct* headers) {
  RequestContext* ctx = current();
  if (!ctx || ctx->finished || SG(request_info).no_headers) return SAPI_HEADER_SENT_SUCCESSFULLY;
  try {
    std::string out;
    int code = append_status(out, headers);
    bool status_written = false;
    zend_llist_position pos;
    for (auto* h =
             static_cast<sapi_header_struct*>(zend_llist_get_first_ex(&headers->headers, &pos));
         h; h = static_cast<sapi_header_struct*>(zend_llist_get_next_ex(&headers->headers, &pos))) {
      if (h->header_len == 0) continue;
      if (h->header_len > 7 && starts_with_nocase(h->header, h->header_len, "Status:")) {
        if (status_written) continue;  // only the first Status: header counts
        status_written = true;
      } else if (code == 304 && starts_with_nocase(h->header, h->header_len, "Content-Type:")) {
        continue;
      }
      out.append(h->header, h->header_len).append("\r\n");
    }
    out.append("\r\n");
    ctx->sink->write_stdout(out);
  } catch (const std::exception& e) {
    spdlog::error("sending headers failed: {}", e.what());
  }
  return SAPI_HEADER_SENT_SUCCESSFULLY;
}

size_t on_read_post(char* buffer, size_t count) {
  RequestContext* ctx = current();
  if (!ctx) return 0;
  // As php-fpm (fpm_main.c: sapi_cgi_read_post): never past CONTENT_LENGTH, whatever came on
  // STDIN or is in the body file. The body is whole before the request reaches a worker, in memory
  // or in a spooled temp file (fcgi/body.hpp), so this never waits for the client.
  const zend_long length = SG(request_info).content_length;
  const size_t left = length > 0 && static_cast<size_t>(length) > ctx->body_offset
                          ? static_cast<size_t>(length) - ctx->body_offset
                          : 0;
  const std::span<char> out(buffer, count < left ? count : left);
  if (out.empty()) return 0;  // php-fpm opens no body file for a read of nothing
  // A non-empty REQUEST_BODY_FILE param replaces STDIN, whatever STDIN holds; when it cannot be
  // opened, PHP gets a warning and no body, and the next read tries again (fpm_main.c).
  const char* body_file = ctx->env.get("REQUEST_BODY_FILE");
  size_t n = 0;
  if (body_file && *body_file) {
    if (!ctx->body_file.is_open() && !ctx->body_file.open(body_file)) {
      const int error = errno;
      php_error(E_WARNING, "REQUEST_BODY_FILE: open('%s') failed: %s (%d)", body_file,
                std::strerror(error), error);
      return 0;
    }
    n = ctx->body_file.read(out);
  } else {
    n = ctx->request->body.read(ctx->body_offset, out);
  }
  ctx->body_offset += n;
  return n;
}

// Env values are C strings that live as long as the request, so PHP may borrow them
// (fpm_main.c: sapi_cgi_read_cookies does the same).
char* on_read_cookies() {
  RequestContext* ctx = current();
  return ctx ? const_cast<char*>(ctx->env.get("HTTP_COOKIE")) : nullptr;
}

// The request's params only (fpm_main.c: sapi_cgibin_getenv); getenv() then asks the
// environment (environment.cpp).
char* on_getenv(const char* name, size_t length) {
  RequestContext* ctx = current();
  if (!ctx) return nullptr;
  return const_cast<char*>(ctx->env.get(std::string_view(name, length)));
}

void register_filtered(const char* name, char* value, size_t length, zval* array) {
  size_t new_length = 0;
  if (sapi_module.input_filter(PARSE_SERVER, name, &value, length, &new_length)) {
    php_register_variable_safe(name, value, new_length, array);
  }
}

// $_SERVER as php-fpm builds it (fpm_main.c: sapi_cgi_register_variables): the environment and
// the params newest first (environment.cpp: import_environment), then PHP_SELF = SCRIPT_NAME +
// PATH_INFO (just SCRIPT_NAME with cgi.fix_pathinfo=0). Core adds PHP_AUTH_* and REQUEST_TIME*.
void on_register_variables(zval* array) {
  php_import_environment_variables(array);
  RequestContext* ctx = current();
  const char* script_name = SG(request_info).request_uri;
  const char* path_info =
      ctx && cgi_ini::fix_pathinfo() ? ctx->env.get("PATH_INFO") : nullptr;
  std::size_t name_length = script_name ? std::strlen(script_name) : 0;
  std::size_t info_length = path_info ? std::strlen(path_info) : 0;
  // emalloc'd, not a std::string: the input filter may bail out.
  char* self = static_cast<char*>(emalloc(name_length + info_length + 1));
  if (name_length) std::memcpy(self, script_name, name_length);
  if (info_length) std::memcpy(self + name_length, path_info, info_length);
  self[name_length + info_length] = '\0';
  register_filtered("PHP_SELF", self, name_length + info_length, array);
  efree(self);
}

void on_log_message(const char* message, int) {
  try {
    spdlog::info("PHP message: {}", message);
    RequestContext* ctx = current();
    if (ctx) {
      std::string line = "PHP message: ";
      line += message;
      log_to_web_server(*ctx, line);
    }
  } catch (...) {
  }
}

// fpm_main.c: sapi_cgi_activate — php.ini's [HOST=]/[PATH=] sections and the .user.ini files.
int on_activate() {
  RequestContext* ctx = current();
  if (ctx) user_ini::activate(*ctx);
  return SUCCESS;
}

int on_deactivate() {
  // The client gets its END_REQUEST before PHP frees the request's memory (fpm_main.c does the
  // same in sapi_cgi_deactivate). Its application status is the script's exit status (exit(3)
  // gives 3, a fatal error 255), as the FastCGI spec describes appStatus; php-fpm
  // (fastcgi.c: fcgi_flush) always sends 0, which web servers ignore either way.
  RequestContext* ctx = current();
  if (ctx && !ctx->finished && ctx->sink->active()) {
    opcache_restart::response_ending();  // a request answered after this one sees the reset
    try {
      ctx->sink->end(static_cast<std::uint32_t>(EG(exit_status)));
    } catch (...) {
    }
  }
  return SUCCESS;
}

}  // namespace

sapi_module_struct sapi = {
    const_cast<char*>("fpm-fcgi"),     // name: PHP_SAPI, and on opcache's list of SAPIs
    const_cast<char*>("FPM/FastCGI"),  // pretty_name
    on_startup,
    php_module_shutdown_wrapper,
    on_activate,
    on_deactivate,
    on_ub_write,
    on_flush,
    nullptr,  // get_stat
    on_getenv,
    php_error,
    nullptr,  // header_handler
    on_send_headers,
    nullptr,  // send_header
    on_read_post,
    on_read_cookies,
    on_register_variables,
    on_log_message,
    nullptr,  // get_request_time
    nullptr,  // terminate_process
    STANDARD_SAPI_MODULE_PROPERTIES,
};

}  // namespace zfpm::php
