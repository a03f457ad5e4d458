#pragma once
// php-fpm's checks and fix-ups after parsing (fpm_conf.c fpm_conf_post_process and
// fpm_conf_process_all_pools), minus those that touch the system (users, directories, files):
// those belong to whoever acts on the directive.
#include "zfpm/config/config.hpp"

namespace zfpm::config {

// Reports every problem, not only the first as php-fpm does, in php-fpm's words. Fix-ups are
// php-fpm's: pm.start_servers computed (with its NOTICE), ondemand zeroes the spare counts and
// raises listen.backlog, ping.response defaults to "pong" only with a ping.path, access.format
// gets its default only with an access.log.
Diagnostics validate(Config& config);

}  // namespace zfpm::config
