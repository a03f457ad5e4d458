#pragma once
// PHP_VALUE and PHP_ADMIN_VALUE params: INI settings for one request (fpm_main.c:
// init_request_info → fastcgi_ini_parser). php-fpm writes them into the child's master values,
// so they stick to that child for every later request; zfpm changes them the way ini_set() does
// (zend_alter_ini_entry at the ACTIVATE stage), and PHP restores them when the request ends.
#include "request_context.hpp"

namespace zfpm::php {

// Call on the worker thread after SG(request_info) is filled, before php_request_startup (as
// php-fpm does, so post_max_size and max_input_time apply to this request too).
void apply_request_ini(RequestContext& ctx);

}  // namespace zfpm::php
