#pragma once
// The pool's php_value[] / php_flag[] / php_admin_value[] / php_admin_flag[] (fpm_php.c:
// fpm_php_apply_defines). php-fpm writes them into each child's INI master values once the child
// starts; zfpm's pool process does it at the end of module startup, while the engine's tables are
// still the ones every worker thread copies (zend_post_startup), so each thread starts with them.
//
// - php_value: the master value; ini_set() and .user.ini may still change it for one request, and
//   the request's end restores it.
// - php_admin_value: the master value, and the entry becomes PHP_INI_SYSTEM: ini_set() returns
//   false and .user.ini cannot change it.
// - extension = x: loads the extension into the process (php_dl), as php-fpm does per child.
// - disable_functions / disable_classes: the value replaces the INI value, and its functions and
//   classes are disabled on top of those php.ini disabled already.
#include "zfpm/config/pool.hpp"

namespace zfpm::php::pool_ini {

// Remembers the pool's values; call before module startup. The values are applied by a hook
// module startup calls (zend_post_startup_cb), on the same thread.
void prepare(const config::PoolConfig& pool);

// Forgets them (after module shutdown).
void clear();

}  // namespace zfpm::php::pool_ini
