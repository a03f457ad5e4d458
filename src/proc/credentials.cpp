#include "credentials.hpp"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "system.hpp"

namespace zfpm::proc {
namespace {

bool is_id(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<Credentials> resolve_credentials(const config::PoolConfig& pool, bool allow_root) {
  Credentials credentials;
  const auto& name = pool.name;
  if (::geteuid() != 0) {
    if (pool.user && !pool.user->empty()) {
      spdlog::info("[pool {}] 'user' directive is ignored when FPM is not running as root", name);
    }
    if (pool.group && !pool.group->empty()) {
      spdlog::info("[pool {}] 'group' directive is ignored when FPM is not running as root", name);
    }
    if (pool.chroot && !pool.chroot->empty()) {
      spdlog::info("[pool {}] 'chroot' directive is ignored when FPM is not running as root", name);
    }
    return credentials;
  }
  uid_t uid = 0;
  gid_t gid = 0;
  if (pool.user && !pool.user->empty()) {
    if (is_id(*pool.user)) {
      uid = static_cast<uid_t>(std::strtoul(pool.user->c_str(), nullptr, 10));
      if (const passwd* pwd = ::getpwuid(uid)) {
        gid = pwd->pw_gid;
        credentials.user = pwd->pw_name;
      }
    } else {
      const passwd* pwd = ::getpwnam(pool.user->c_str());
      if (!pwd) {
        spdlog::error("[pool {}] cannot get uid for user '{}'", name, *pool.user);
        return std::nullopt;
      }
      uid = pwd->pw_uid;
      gid = pwd->pw_gid;
      credentials.user = pwd->pw_name;
    }
    credentials.uid = uid;
    credentials.gid = gid;
  }
  if (pool.group && !pool.group->empty()) {
    if (is_id(*pool.group)) {
      gid = static_cast<gid_t>(std::strtoul(pool.group->c_str(), nullptr, 10));
    } else {
      const group* grp = ::getgrnam(pool.group->c_str());
      if (!grp) {
        spdlog::error("[pool {}] cannot get gid for group '{}'", name, *pool.group);
        return std::nullopt;
      }
      gid = grp->gr_gid;
    }
    credentials.gid = gid;
  }
  if (!allow_root && (uid == 0 || gid == 0)) {
    spdlog::error("[pool {}] please specify user and group other than root", name);
    return std::nullopt;
  }
  return credentials;
}

bool test_account_names(const config::PoolConfig& pool) {
  const auto user_exists = [&](const std::optional<std::string>& user, bool sys) {
    if (!user || user->empty() || is_id(*user) || ::getpwnam(user->c_str())) return true;
    spdlog::error("[pool {}] cannot get uid for user '{}'{}", pool.name, *user,
                  sys ? syserror() : "");
    return false;
  };
  const auto group_exists = [&](const std::optional<std::string>& group, bool sys) {
    if (!group || group->empty() || is_id(*group) || ::getgrnam(group->c_str())) return true;
    spdlog::error("[pool {}] cannot get gid for group '{}'{}", pool.name, *group,
                  sys ? syserror() : "");
    return false;
  };
  return user_exists(pool.user, false) && group_exists(pool.group, false) &&
         user_exists(pool.listen.owner, true) && group_exists(pool.listen.group, true);
}

bool apply_process_settings(const PoolPlan& plan) {
  const auto& pool = plan.config;
  const auto& name = pool.name;
  const bool root = ::geteuid() == 0;
  if (pool.rlimit_files > 0 && !set_rlimit(RLIMIT_NOFILE, pool.rlimit_files)) {
    spdlog::error(
        "[pool {}] failed to set rlimit_files for this pool. Please check your system limits or "
        "decrease rlimit_files. setrlimit(RLIMIT_NOFILE, {}){}",
        name, pool.rlimit_files, syserror());
    return false;
  }
  if (pool.rlimit_core != 0 && !set_rlimit(RLIMIT_CORE, pool.rlimit_core)) {
    spdlog::error(
        "[pool {}] failed to set rlimit_core for this pool. Please check your system limits or "
        "decrease rlimit_core. setrlimit(RLIMIT_CORE, {}){}",
        name, pool.rlimit_core, syserror());
    return false;
  }
  if (root && pool.chroot && !pool.chroot->empty() && ::chroot(pool.chroot->c_str()) != 0) {
    spdlog::error("[pool {}] failed to chroot({}){}", name, *pool.chroot, syserror());
    return false;
  }
  if (pool.chdir && !pool.chdir->empty()) {
    if (::chdir(pool.chdir->c_str()) != 0) {
      spdlog::error("[pool {}] failed to chdir({}){}", name, *pool.chdir, syserror());
      return false;
    }
  } else if (root && pool.chroot && !pool.chroot->empty() && ::chdir("/") != 0) {
    spdlog::warn("[pool {}] failed to chdir(/){}", name, syserror());
  }
  if (pool.process.priority) {
    if (!root) {
      spdlog::info("[pool {}] 'process.priority' directive is ignored when FPM is not running as root",
                   name);
    } else if (::setpriority(PRIO_PROCESS, 0, *pool.process.priority) != 0) {
      spdlog::error("[pool {}] Unable to set priority for this new process{}", name, syserror());
      return false;
    }
  }
  if (root) {
    const auto& credentials = plan.credentials;
    if (credentials.gid && *credentials.gid != 0 && ::setgid(*credentials.gid) != 0) {
      spdlog::error("[pool {}] failed to setgid({}){}", name, *credentials.gid, syserror());
      return false;
    }
    if (credentials.uid && *credentials.uid != 0) {
      if (!credentials.user.empty() &&
          ::initgroups(credentials.user.c_str(), credentials.gid.value_or(0)) != 0) {
        spdlog::error("[pool {}] failed to initgroups({}, {}){}", name, credentials.user,
                      credentials.gid.value_or(0), syserror());
        return false;
      }
      if (::setuid(*credentials.uid) != 0) {
        spdlog::error("[pool {}] failed to setuid({}){}", name, *credentials.uid, syserror());
        return false;
      }
    }
  }
  // A child that changed its uid is not dumpable (nor ptrace-able); process.dumpable asks back.
  if (pool.process.dumpable && ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    spdlog::error("[pool {}] failed to prctl(PR_SET_DUMPABLE){}", name, syserror());
    return false;
  }
  return true;
}

}  // namespace zfpm::proc
