#pragma once
// The INI entries php-fpm's own module registers (fpm_main.c: PHP_INI_BEGIN, "cgi-fcgi"), here
// registered by the zfpm module so that php.ini, -d, ini_get() and PHP_VALUE see them as under
// php-fpm. Read per request on the worker thread (each thread has its own INI table).
namespace zfpm::php::cgi_ini {

bool fix_pathinfo();         // cgi.fix_pathinfo (1): init_request_info's script search
bool discard_path();         // cgi.discard_path (0)
bool rfc2616_headers();      // cgi.rfc2616_headers (0): raw status line instead of Status:
bool nph();                  // cgi.nph (0): a Status: line even for 200
bool fastcgi_logging();      // fastcgi.logging (1): PHP messages also on FCGI_STDERR
const char* error_header();  // fastcgi.error_header (unset): header sent on exit status 255
const char* doc_root();      // doc_root (PHP core): DOCUMENT_ROOT when none is sent

}  // namespace zfpm::php::cgi_ini
