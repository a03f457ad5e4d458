#include "executor.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "sapi.hpp"

extern "C" {
#include <main/fopen_wrappers.h>
#include <main/php_main.h>
}

namespace zfpm::php {
namespace {

char* param_cstr(const fcgi::Params& params, std::string_view name) {
  auto value = params.find(name);
  return value ? const_cast<char*>(value->data()) : nullptr;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// SG(request_info) as php-fpm fills it before php_request_startup (fpm_main.c:
// init_request_info); the strings are borrowed from the request, which outlives it.
void fill_request_info(RequestContext& ctx) {
  const fcgi::Params& params = ctx.request->params;
  SG(server_context) = &ctx;
  SG(sapi_headers).http_response_code = 200;
  sapi_request_info& info = SG(request_info);
  info.request_method = param_cstr(params, "REQUEST_METHOD");
  info.query_string = param_cstr(params, "QUERY_STRING");
  char* content_type = param_cstr(params, "CONTENT_TYPE");
  info.content_type = content_type ? content_type : "";  // NULL would skip reading the body
  info.content_length = 0;
  if (auto length = params.find("CONTENT_LENGTH")) {
    std::from_chars(length->data(), length->data() + length->size(), info.content_length);
  }
  info.request_uri = param_cstr(params, "SCRIPT_NAME");
  info.path_translated =
      ctx.script_path.empty() ? nullptr : estrndup(ctx.script_path.data(), ctx.script_path.size());
  php_handle_auth_data(param_cstr(params, "HTTP_AUTHORIZATION"));
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

// The part of a request that PHP can longjmp out of. Only trivially destructible locals here.
void run_primary_script(RequestContext& ctx) {
  if (!SG(request_info).path_translated) {
    // php-fpm: 404 and "Primary script unknown" to the web server's error log.
    ctx.sink->write_stderr("Primary script unknown");
    SG(sapi_headers).http_response_code = 404;
    PUTS("File not found.\n");
    return;
  }
  zend_file_handle handle;
  if (php_fopen_primary_script(&handle) == FAILURE) {
    int error = errno;
    spdlog::error("Unable to open primary script: {} ({})", ctx.script_path, std::strerror(error));
    if (error == EACCES) {
      SG(sapi_headers).http_response_code = 403;
      PUTS("Access denied.\n");
    } else {
      SG(sapi_headers).http_response_code = 404;
      PUTS("No input file specified.\n");
    }
    return;
  }
  php_execute_script(&handle);
  zend_destroy_file_handle(&handle);
}

}  // namespace

std::string resolve_script(const fcgi::Params& params, const std::string& document_root) {
  std::string path;
  if (auto filename = params.find("SCRIPT_FILENAME"); filename && !filename->empty()) {
    path = *filename;
  } else if (auto translated = params.find("PATH_TRANSLATED"); translated && !translated->empty()) {
    path = *translated;
  } else if (auto name = params.find("SCRIPT_NAME"); name && !document_root.empty()) {
    path = document_root;
    if (!path.ends_with('/') && !name->starts_with('/')) path += '/';
    path += *name;
  }
  return is_regular_file(path) ? path : std::string();
}

void execute(RequestContext& ctx) {
  fill_request_info(ctx);
  volatile bool started = false;
  zend_first_try {
    if (php_request_startup() == FAILURE) {
      spdlog::error("PHP request startup failed");
    } else {
      started = true;
      run_primary_script(ctx);
    }
  }
  zend_catch { spdlog::error("a PHP bailout escaped the request"); }
  zend_end_try();

  if (SG(request_info).path_translated) {
    efree(SG(request_info).path_translated);
    SG(request_info).path_translated = nullptr;
  }
  if (started) php_request_shutdown(nullptr);
  // Normally END_REQUEST went out in the SAPI's deactivate; if startup failed, send it here.
  if (ctx.sink->active()) ctx.sink->end(255);
  clear_request_info();
}

}  // namespace zfpm::php
