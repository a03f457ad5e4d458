// The zfpm PHP module: what php-fpm's own "cgi-fcgi" module gives scripts (fpm_main.c:
// cgi_module_entry) — its INI entries, fastcgi_finish_request(), apache_request_headers() and
// getallheaders() — plus zfpm_worker_info(). Functions here run inside PHP: no C++ object with a
// destructor may be alive where PHP can longjmp (an allocation failing, a header callback).
#include <strings.h>

#include <cstdlib>
#include <cstring>

#include "cgi_ini.hpp"
#include "pool_status.hpp"
#include "request_context.hpp"
#include "sapi.hpp"
#include "status_function.hpp"
#include "watchdog.hpp"

extern "C" {
#include <main/php_ini.h>
#include <main/php_output.h>

#include <ext/standard/head.h>
#include <ext/standard/info.h>
}

namespace zfpm::php {
namespace {

RequestContext* current() { return static_cast<RequestContext*>(SG(server_context)); }

// fpm registers these with OnUpdateBool/OnUpdateString into its globals; nothing here needs a
// callback, so the values are read back by name (per thread, per request).
PHP_INI_BEGIN()
PHP_INI_ENTRY_EX("cgi.rfc2616_headers", "0", PHP_INI_ALL, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY_EX("cgi.nph", "0", PHP_INI_ALL, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY_EX("cgi.force_redirect", "1", PHP_INI_SYSTEM, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY("cgi.redirect_status_env", nullptr, PHP_INI_SYSTEM, nullptr)
PHP_INI_ENTRY_EX("cgi.fix_pathinfo", "1", PHP_INI_SYSTEM, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY_EX("cgi.discard_path", "0", PHP_INI_SYSTEM, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY_EX("fastcgi.logging", "1", PHP_INI_SYSTEM, nullptr, zend_ini_boolean_displayer_cb)
PHP_INI_ENTRY("fastcgi.error_header", nullptr, PHP_INI_SYSTEM, nullptr)
PHP_INI_ENTRY("fpm.config", nullptr, PHP_INI_SYSTEM, nullptr)
// zfpm's own: how long an opcache_reset() waits for running requests, in seconds
// (opcache_restart.cpp; docs/php.md).
PHP_INI_ENTRY("zfpm.opcache_reset_timeout", "5", PHP_INI_SYSTEM, nullptr)
PHP_INI_END()

const char* ini_text(const char* name) {
  bool exists = false;
  return zend_ini_string_ex(name, std::strlen(name), 0, &exists);
}

// zend_ini_parse_bool on a C string: "true", "yes", "on" or a non-zero number.
bool ini_flag(const char* name) {
  const char* value = ini_text(name);
  if (!value) return false;
  if (strcasecmp(value, "true") == 0 || strcasecmp(value, "yes") == 0 ||
      strcasecmp(value, "on") == 0) {
    return true;
  }
  return std::atoi(value) != 0;
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

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_fastcgi_finish_request, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

void end_response(RequestContext& ctx) noexcept {
  ctx.finished = true;
  pool_status::request_finishing(ctx);  // the status page shows "Finishing"
  watchdog::request_finished();  // no slowlog, no termination unless track_finished
  try {
    ctx.sink->end(0);
  } catch (...) {
    // The channel could not take the last records: the connection is gone anyway.
  }
}

// fpm_main.c: PHP_FUNCTION(fastcgi_finish_request). The client gets the whole response and
// END_REQUEST now; the script goes on, and whatever it prints later is dropped (see
// docs/php.md: php-fpm may abort the script at that point instead).
ZEND_FUNCTION(fastcgi_finish_request) {
  ZEND_PARSE_PARAMETERS_NONE();
  RequestContext* ctx = current();
  if (!ctx || ctx->finished || !ctx->sink->active()) RETURN_FALSE;
  php_output_end_all();
  php_header();
  end_response(*ctx);
  RETURN_TRUE;
}

// fpm_main.stub.php: function fpm_get_status(): array|false
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_fpm_get_status, 0, 0, MAY_BE_ARRAY | MAY_BE_FALSE)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_apache_request_headers, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

// fpm_main.c: PHP_FUNCTION(apache_request_headers) — HTTP_FOO_BAR params become "Foo-Bar", in the
// env's order (newest first), through SAPI's own converter.
ZEND_FUNCTION(apache_request_headers) {
  ZEND_PARSE_PARAMETERS_NONE();
  array_init(return_value);
  RequestContext* ctx = current();
  if (!ctx) return;
  ctx->env.for_each([&](const RequestEnv::Entry& entry) {
    sapi_add_request_header(entry.name.data(), static_cast<unsigned>(entry.name.size()),
                            const_cast<char*>(entry.value.data()),
                            static_cast<unsigned>(entry.value.size()), return_value);
  });
}

const zend_function_entry extension_functions[] = {
    ZEND_FE(zfpm_worker_info, arginfo_zfpm_worker_info)
        ZEND_FE(fastcgi_finish_request, arginfo_fastcgi_finish_request)
            ZEND_FE(apache_request_headers, arginfo_apache_request_headers) ZEND_FALIAS(
                getallheaders, apache_request_headers, arginfo_apache_request_headers)
                ZEND_FE(fpm_get_status, arginfo_fpm_get_status) ZEND_FE_END};

PHP_MINIT_FUNCTION(zfpm) {
  REGISTER_INI_ENTRIES();
  return SUCCESS;
}

PHP_MSHUTDOWN_FUNCTION(zfpm) {
  UNREGISTER_INI_ENTRIES();
  return SUCCESS;
}

PHP_MINFO_FUNCTION(zfpm) {
  php_info_print_table_start();
  php_info_print_table_row(2, "zfpm", "multithreaded FastCGI process manager");
  php_info_print_table_row(2, "version", ZFPM_VERSION);
  php_info_print_table_end();
  DISPLAY_INI_ENTRIES();
}

}  // namespace

namespace cgi_ini {
bool fix_pathinfo() { return ini_flag("cgi.fix_pathinfo"); }
bool discard_path() { return ini_flag("cgi.discard_path"); }
bool rfc2616_headers() { return ini_flag("cgi.rfc2616_headers"); }
bool nph() { return ini_flag("cgi.nph"); }
bool fastcgi_logging() { return ini_flag("fastcgi.logging"); }
const char* error_header() { return ini_text("fastcgi.error_header"); }
const char* doc_root() { return PG(doc_root); }
}  // namespace cgi_ini

void replace_function_handler(const char* name, zif_handler handler) {
  auto* function = static_cast<zend_function*>(
      zend_hash_str_find_ptr(CG(function_table), name, std::strlen(name)));
  if (function && function->type == ZEND_INTERNAL_FUNCTION) {
    function->internal_function.handler = handler;
  }
}

zend_module_entry extension = {
    STANDARD_MODULE_HEADER,
    "zfpm",
    extension_functions,
    PHP_MINIT(zfpm),
    PHP_MSHUTDOWN(zfpm),
    nullptr,  // RINIT
    nullptr,  // RSHUTDOWN
    PHP_MINFO(zfpm),
    ZFPM_VERSION,
    STANDARD_MODULE_PROPERTIES,
};

}  // namespace zfpm::php
