#pragma once
// The environment php-fpm gives a pool's child (fpm_env.c: fpm_env_conf_wp, fpm_env_init_child),
// which scripts and the programs they start see: cleared with clear_env = yes, then env[], then
// USER and HOME. php::prepare_process (runtime.hpp) records it; startup() applies it.
namespace zfpm::php::pool_process {

// Replaces the process environment with the pool's, if prepare_process recorded one. Call on the
// main thread after module startup (php.ini lookup reads PHPRC and PHP_INI_SCAN_DIR from the
// environment zfpm was started with, as php-fpm's module startup runs in its master) and before
// any other thread exists: setenv/clearenv race with every getenv.
void apply_environment();

}  // namespace zfpm::php::pool_process
