#include "zfpm/cli/install_layout.hpp"

#include <unistd.h>

#include <climits>
#include <filesystem>

// cmake/install.cmake defines ZFPM_INSTALL_PREFIX_DIR, ZFPM_INSTALL_LOCALSTATE_DIR,
// ZFPM_INSTALL_LIB_DIR, ZFPM_INSTALL_CONFIG_DIR and ZFPM_INSTALL_PHP_INI_DIR: the install folders,
// relative to the folder zfpm is installed in.

namespace zfpm::cli {
namespace {

// "sbin/.." normalizes to "P/": no trailing separator, but for the root itself.
std::string join(std::string_view dir, std::string_view relative) {
  std::string path = (std::filesystem::path(dir) / relative).lexically_normal().string();
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string binary_dir() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return {};
  return std::filesystem::path(std::string(path, static_cast<std::size_t>(length)))
      .parent_path()
      .string();
}

}  // namespace

InstallLayout layout_for(std::string_view binary_dir, const InstallPaths& paths, bool installed) {
  InstallLayout layout;
  if (!installed || binary_dir.empty()) return layout;
  layout.prefix = join(binary_dir, paths.prefix);
  layout.localstatedir = join(binary_dir, paths.localstatedir);
  layout.lib_dir = join(binary_dir, paths.lib_dir);
  layout.extension_dir = layout.lib_dir + "/extensions";
  layout.config_file = join(binary_dir, paths.config_dir) + "/php-fpm.conf";
  layout.php_ini_dir = join(binary_dir, paths.php_ini_dir);
  return layout;
}

const InstallLayout& install_layout() {
  static const InstallLayout layout = [] {
    const InstallPaths paths{ZFPM_INSTALL_PREFIX_DIR, ZFPM_INSTALL_LOCALSTATE_DIR,
                             ZFPM_INSTALL_LIB_DIR, ZFPM_INSTALL_CONFIG_DIR,
                             ZFPM_INSTALL_PHP_INI_DIR};
    const std::string dir = binary_dir();
    std::error_code error;
    const bool installed =
        !dir.empty() && std::filesystem::exists(join(dir, paths.lib_dir) + "/libphp.so", error);
    return layout_for(dir, paths, installed);
  }();
  return layout;
}

}  // namespace zfpm::cli
