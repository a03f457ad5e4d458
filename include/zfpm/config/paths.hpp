#pragma once
// php-fpm's prefixes for relative paths (fpm_conf.c fpm_evaluate_full_path): pure string work,
// done once after parsing, so that validation and everything downstream see absolute paths.
#include <optional>
#include <string>

#include "zfpm/config/config.hpp"

namespace zfpm::config {

struct Prefixes {
  std::optional<std::string> prefix;    // -p, --prefix
  std::string install_prefix = "/usr";  // php-fpm's PHP_PREFIX (Debian's)
  std::string localstatedir = "/var";   // php-fpm's PHP_LOCALSTATEDIR (Debian's)

  // Where a relative include= glob is taken from: -p, else the install prefix.
  std::string include_prefix() const { return prefix.value_or(install_prefix); }
};

// pid and error_log (unless "syslog"): -p, else localstatedir. A pool's prefix: -p, else the
// install prefix. A Unix-socket listen, access.log, slowlog, chdir, chroot ("$prefix" allowed at
// its start) and path-like php_value/php_admin_value entries (error_log, extension_dir, ...; not
// under a chroot): the pool's prefix, else -p, else the install prefix. Returns php-fpm's errors
// for a misplaced "$prefix" and for a chroot or chdir that is still relative.
Diagnostics resolve_paths(Config& config, const Prefixes& prefixes);

}  // namespace zfpm::config
