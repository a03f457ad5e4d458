// SAPI callbacks, called by PHP on the worker thread that runs the request. Rules (see
// reference/zts-sapi.md §3.3): no C++ exception may leave a callback, and no object with a
// destructor may be alive in a frame when PHP can longjmp out of it (zend_bailout from
// php_handle_aborted_connection, for one).
#include "sapi.hpp"

#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "request_context.hpp"

extern "C" {
#include <ext/standard/info.h>
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

// The status line as php-fpm writes it (fpm_main.c: sapi_cgi_send_headers): none for 200, the
// rest of a user "HTTP/1.x NNN reason" line, else the reason from PHP's own status map, and never
// when the script set its own Status: header. Returns the effective status code.
int append_status(std::string& out, sapi_headers_struct* headers) {
  int code = headers->http_response_code;
  if (code == 200) return code;
  const char* line = headers->http_status_line;
  const char* space = line ? std::strchr(line, ' ') : nullptr;
  if (space && space - line >= 5 && strncasecmp(line, "HTTP/", 5) == 0) {
    out.append("Status:").append(space).append("\r\n");
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
  if (!ctx || SG(request_info).no_headers) return SAPI_HEADER_SENT_SUCCESSFULLY;
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
  const std::string& body = ctx->request->body;
  size_t left = body.size() - ctx->body_offset;
  size_t n = count < left ? count : left;
  std::memcpy(buffer, body.data() + ctx->body_offset, n);
  ctx->body_offset += n;
  return n;
}

// Param values are NUL-terminated in the request's storage, so PHP may borrow them for the
// request's whole life (fpm_main.c: sapi_cgi_read_cookies does the same).
char* param_cstr(const RequestContext* ctx, std::string_view name) {
  auto value = ctx->request->params.find(name);
  return value ? const_cast<char*>(value->data()) : nullptr;
}

char* on_read_cookies() {
  RequestContext* ctx = current();
  return ctx ? param_cstr(ctx, "HTTP_COOKIE") : nullptr;
}

char* on_getenv(const char* name, size_t length) {
  RequestContext* ctx = current();
  if (!ctx) return getenv(name);
  return param_cstr(ctx, std::string_view(name, length));
}

void register_filtered(const char* name, char* value, size_t length, zval* array) {
  size_t new_length = 0;
  if (sapi_module.input_filter(PARSE_SERVER, name, &value, length, &new_length)) {
    php_register_variable_safe(name, value, new_length, array);
  }
}

// $_SERVER as php-fpm builds it: the environment, then the params newest first, FCGI_ROLE, then
// PHP_SELF (fpm_main.c: sapi_cgi_register_variables).
void on_register_variables(zval* array) {
  php_import_environment_variables(array);
  RequestContext* ctx = current();
  if (!ctx) return;
  const fcgi::Params& params = ctx->request->params;
  for (size_t i = params.size(); i-- > 0;) {
    auto pair = params[i];
    // A repeated name keeps its newest value, as in php-fpm's params hash.
    auto newest = params.find(pair.name);
    register_filtered(pair.name.data(), const_cast<char*>(newest->data()), newest->size(), array);
  }
  register_filtered("FCGI_ROLE", const_cast<char*>("RESPONDER"), 9, array);
  char* self = SG(request_info).request_uri;
  register_filtered("PHP_SELF", self ? self : const_cast<char*>(""), self ? std::strlen(self) : 0,
                    array);
}

void on_log_message(const char* message, int) {
  try {
    spdlog::info("PHP message: {}", message);
    RequestContext* ctx = current();
    if (ctx && ctx->sink->active()) {
      std::string line = "PHP message: ";
      line += message;
      ctx->sink->write_stderr(line);
    }
  } catch (...) {
  }
}

int on_deactivate() {
  // The client gets its END_REQUEST before PHP frees the request's memory (fpm_main.c does the
  // same in sapi_cgi_deactivate).
  RequestContext* ctx = current();
  if (ctx && ctx->sink->active()) ctx->sink->end(static_cast<std::uint32_t>(EG(exit_status)));
  return SUCCESS;
}

// zfpm_worker_info(): which worker thread serves this request.
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_zfpm_worker_info, 0, 0, MAY_BE_ARRAY | MAY_BE_FALSE)
ZEND_END_ARG_INFO()

ZEND_FUNCTION(zfpm_worker_info) {
  ZEND_PARSE_PARAMETERS_NONE();
  RequestContext* ctx = current();
  if (!ctx || !ctx->worker) RETURN_FALSE;
  array_init(return_value);
  add_assoc_long(return_value, "id", ctx->worker->id);
  add_assoc_long(return_value, "tid", ctx->worker->tid);
  add_assoc_long(return_value, "requests", static_cast<zend_long>(ctx->worker->requests));
}

const zend_function_entry extension_functions[] = {
    ZEND_FE(zfpm_worker_info, arginfo_zfpm_worker_info) ZEND_FE_END};

PHP_MINFO_FUNCTION(zfpm) {
  php_info_print_table_start();
  php_info_print_table_row(2, "zfpm", "multithreaded FastCGI process manager");
  php_info_print_table_row(2, "version", ZFPM_VERSION);
  php_info_print_table_end();
}

}  // namespace

zend_module_entry extension = {
    STANDARD_MODULE_HEADER,
    "zfpm",
    extension_functions,
    nullptr,  // MINIT
    nullptr,  // MSHUTDOWN
    nullptr,  // RINIT
    nullptr,  // RSHUTDOWN
    PHP_MINFO(zfpm),
    ZFPM_VERSION,
    STANDARD_MODULE_PROPERTIES,
};

sapi_module_struct sapi = {
    const_cast<char*>("fpm-fcgi"),     // name: PHP_SAPI, and on opcache's list of SAPIs
    const_cast<char*>("FPM/FastCGI"),  // pretty_name
    on_startup,
    php_module_shutdown_wrapper,
    nullptr,  // activate
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
