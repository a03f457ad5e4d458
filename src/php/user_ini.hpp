#pragma once
// Per-request INI from the filesystem, as php-fpm's SAPI activate hook applies it (fpm_main.c:
// sapi_cgi_activate): php.ini's [HOST=SERVER_NAME] and [PATH=/dir] sections, then the
// user_ini.filename files (".user.ini") of every directory from DOCUMENT_ROOT down to the script's
// (only the script's own when it lies outside DOCUMENT_ROOT), cached per script directory for
// user_ini.cache_ttl seconds. .user.ini values change entries at the PERDIR level, so a
// php_admin_value (PHP_INI_SYSTEM) wins over them; the request's end restores every entry.
#include "request_context.hpp"

namespace zfpm::php::user_ini {

// PHP calls this (through the SAPI activate callback) inside php_request_startup, after the body
// was read and before the request's superglobals are built. It may longjmp (a warning about a
// broken .user.ini reaching a client that left): nothing with a destructor lives in its frames.
void activate(RequestContext& ctx);

}  // namespace zfpm::php::user_ini
