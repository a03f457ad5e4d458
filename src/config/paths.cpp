#include "zfpm/config/paths.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace zfpm::config {

namespace {

// fpm_php.h FPM_PHP_INI_TO_EXPAND: php.ini entries that hold a path.
constexpr std::array<std::string_view, 15> kPathIniEntries{
    "error_log",
    "extension_dir",
    "mime_magic.magicfile",
    "sendmail_path",
    "session.cookie_path",
    "session_pgsql.sem_file_name",
    "soap.wsdl_cache_dir",
    "uploadprogress.file.filename_template",
    "xdebug.output_dir",
    "xdebug.profiler_output_dir",
    "xdebug.trace_output_dir",
    "xmms.path",
    "axis2.client_home",
    "blenc.key_file",
    "coin_acceptor.device",
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_path_entry(std::string_view key) {
  return std::any_of(kPathIniEntries.begin(), kPathIniEntries.end(),
                     [key](std::string_view entry) { return iequals(entry, key); });
}

// fpm_sockets.c fpm_sockets_domain_from_address: "host:port" or digits only is TCP.
bool is_unix_socket(std::string_view address) {
  if (address.find(':') != std::string_view::npos) return false;
  return address.find_first_not_of("0123456789") != std::string_view::npos;
}

class Resolver {
 public:
  Resolver(const Prefixes& prefixes, Diagnostics& out) : prefixes_(prefixes), out_(out) {}

  // fpm_evaluate_full_path. `pool_prefix` is the pool's own prefix (already absolute, or not
  // when -p was relative); `fallback` the prefix when neither it nor -p is set.
  bool full_path(std::string& path, const std::optional<std::string>& pool_prefix,
                 const std::string& fallback, bool expand) {
    if (path.empty() || path.front() == '/') return true;
    const std::string& prefix = pool_prefix ? *pool_prefix : prefixes_.prefix.value_or(fallback);
    if (expand) {
      auto at = path.find("$prefix");
      if (at != std::string::npos) {
        if (at != 0) {
          out_.push_back(
              {"", 0, "'$prefix' must be use at the beginning of the value", Level::Error});
          return false;
        }
        path.erase(0, std::strlen("$prefix"));
      }
    }
    path = path.empty() ? prefix : prefix + "/" + path;
    if (path.front() != '/' && pool_prefix) {
      return full_path(path, std::nullopt, fallback, expand);
    }
    return true;
  }

  bool full_path(std::optional<std::string>& path, const std::optional<std::string>& pool_prefix,
                 bool expand = false) {
    if (!path || path->empty()) return true;
    return full_path(*path, pool_prefix, prefixes_.install_prefix, expand);
  }

  void global(GlobalConfig& global) {
    if (global.pid) full_path(*global.pid, std::nullopt, prefixes_.localstatedir, false);
    if (!iequals(global.error_log, "syslog")) {
      full_path(global.error_log, std::nullopt, prefixes_.localstatedir, false);
    }
  }

  void pool(PoolConfig& pool) {
    std::optional<std::string> none;
    full_path(pool.prefix, none);
    const auto& prefix = pool.prefix && !pool.prefix->empty() ? pool.prefix : none;
    if (!pool.listen.address.empty() && is_unix_socket(pool.listen.address)) {
      full_path(pool.listen.address, prefix, prefixes_.install_prefix, false);
    }
    full_path(pool.access.log, prefix);
    full_path(pool.slowlog, prefix);
    const std::string name = "[pool " + pool.name + "] ";
    if (pool.chroot && !pool.chroot->empty()) {
      if (full_path(pool.chroot, prefix, true) && pool.chroot->front() != '/') {
        out_.push_back({"", 0,
                        name + "the chroot path '" + *pool.chroot + "' must start with a '/'",
                        Level::Error});
      }
    }
    if (pool.chdir && !pool.chdir->empty()) {
      full_path(pool.chdir, prefix);
      if (pool.chdir->front() != '/') {
        out_.push_back({"", 0, name + "the chdir path '" + *pool.chdir + "' must start with a '/'",
                        Level::Error});
      }
    }
    if (pool.chroot) return;  // php-fpm leaves php_value paths alone under a chroot
    for (auto& entry : pool.php_value) {
      if (is_path_entry(entry.key)) full_path(entry.value, prefix, prefixes_.install_prefix, false);
    }
    for (auto& entry : pool.php_admin_value) {
      if (iequals(entry.key, "error_log") && iequals(entry.value, "syslog")) continue;
      if (is_path_entry(entry.key)) full_path(entry.value, prefix, prefixes_.install_prefix, false);
    }
  }

 private:
  const Prefixes& prefixes_;
  Diagnostics& out_;
};

}  // namespace

Diagnostics resolve_paths(Config& config, const Prefixes& prefixes) {
  Diagnostics diagnostics;
  Resolver resolver(prefixes, diagnostics);
  resolver.global(config.global);
  for (auto& pool : config.pools) resolver.pool(pool);
  return diagnostics;
}

}  // namespace zfpm::config
