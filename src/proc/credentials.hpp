#pragma once
// A pool's process identity, as php-fpm sets it up (fpm_unix.c): the user and group resolved in
// the master (errors at -t), then applied in the pool's child before PHP starts: rlimits,
// chroot, chdir, priority, groups, gid, uid, dumpable. Private to proc/.
#include <optional>

#include "zfpm/config/pool.hpp"
#include "zfpm/proc/plan.hpp"

namespace zfpm::proc {

// Logs php-fpm's error and returns nullopt when a user or group does not exist, or when the pool
// would run as root without -R. Not root: user/group/chroot are ignored with php-fpm's notices.
std::optional<Credentials> resolve_credentials(const config::PoolConfig& pool, bool allow_root);

// `-t` (fpm_unix_test_config): user, group, listen.owner and listen.group must name existing
// accounts, checked in that order; the listen ones log with zlog's syserror suffix. Nothing else
// about them (running as root is checked at start, not by -t).
bool test_account_names(const config::PoolConfig& pool);

// In the pool's child. False (logged in php-fpm's words) when a step fails: the child exits.
bool apply_process_settings(const PoolPlan& pool);

}  // namespace zfpm::proc
