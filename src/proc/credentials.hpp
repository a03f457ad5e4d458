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

// In the pool's child. False (logged in php-fpm's words) when a step fails: the child exits.
bool apply_process_settings(const PoolPlan& pool);

}  // namespace zfpm::proc
