#pragma once
// Where an installed zfpm finds its own files. `cmake --install` puts them at fixed places relative
// to the binary (docs/deploying.md: P/sbin/zfpm, P/lib/zfpm/libphp.so, the configuration folders),
// so a tree runs wherever it was installed, and nothing points back at the build or the PHP cache.
// A binary in its build tree has no such tree beside it: installed() is false, and the PHP prefix it
// was built against gives php.ini's folder and the extensions, as before installing.
#include <string>
#include <string_view>

namespace zfpm::cli {

struct InstallLayout {
  std::string prefix;         // P: php-fpm's install prefix, for relative paths in php-fpm.conf
  std::string localstatedir;  // P/var (/var when P is /usr): relative pid and error_log
  std::string lib_dir;        // P/lib/zfpm: zfpm's own libphp.so
  std::string extension_dir;  // P/lib/zfpm/extensions: opcache.so and what zfpm-ext builds
  std::string config_file;    // php-fpm.conf read without -y
  std::string php_ini_dir;    // php.ini read without -c; its conf.d/ scanned for *.ini

  bool installed() const { return !lib_dir.empty(); }
  std::string scan_dir() const { return php_ini_dir + "/conf.d"; }
};

// The folders as paths relative to the binary's folder, fixed when zfpm is configured.
struct InstallPaths {
  std::string_view prefix;
  std::string_view localstatedir;
  std::string_view lib_dir;
  std::string_view config_dir;
  std::string_view php_ini_dir;
};

// Pure: the layout of a binary in `binary_dir`, whose private library folder does (`installed`)
// or does not hold libphp.so. Paths are made lexically normal ("sbin/../etc/zfpm" -> "etc/zfpm").
InstallLayout layout_for(std::string_view binary_dir, const InstallPaths& paths, bool installed);

// This process's layout, from /proc/self/exe, computed once (any thread).
const InstallLayout& install_layout();

}  // namespace zfpm::cli
