#pragma once
// Runs one FastCGI request through PHP on the calling worker thread: php-fpm's request loop body
// (fpm_main.c: main, the fcgi_accept_request loop) — init_request_info, per-request INI, startup,
// the 404/403 answers, the script, fastcgi.error_header, shutdown.
#include <string>
#include <vector>

#include "request_context.hpp"

namespace zfpm::php {

struct ExecutorSettings {
  // --root: when the web server sends neither SCRIPT_FILENAME nor PATH_TRANSLATED, SCRIPT_FILENAME
  // becomes this + SCRIPT_NAME (a zfpm extension; php-fpm answers 404).
  std::string document_root;
  // security.limit_extensions, parsed; empty allows every script.
  std::vector<std::string> limit_extensions;
};

// Never throws. False when a PHP bailout escaped the request: the thread's PHP context can no
// longer be trusted and must be replaced before the next request.
bool execute(RequestContext& ctx, const ExecutorSettings& settings);

}  // namespace zfpm::php
