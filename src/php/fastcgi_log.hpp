#pragma once
// Messages for the web server's error log: php-fpm sends every message it logs during a request
// (PHP's errors as "PHP message: ...", its own "Primary script unknown", ...) on FCGI_STDERR as
// well, joined with "; " within the request, while fastcgi.logging is on (fpm_main.c:
// sapi_cgi_log_fastcgi, the zlog external logger). nginx logs them as "FastCGI sent in stderr".
#include <string_view>

#include "request_context.hpp"

namespace zfpm::php {

// Never throws; does nothing after the response ended or with fastcgi.logging off.
void log_to_web_server(RequestContext& ctx, std::string_view message) noexcept;

}  // namespace zfpm::php
