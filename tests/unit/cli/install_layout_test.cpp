// Where an installed zfpm finds its files, relative to the binary (docs/deploying.md).
#include "zfpm/cli/install_layout.hpp"

#include <doctest/doctest.h>

using namespace zfpm::cli;

namespace {

// cmake --install --prefix P: everything under P.
constexpr InstallPaths kUnderPrefix{
    .prefix = "..",
    .localstatedir = "../var",
    .lib_dir = "../lib/zfpm",
    .config_dir = "../etc/zfpm",
    .php_ini_dir = "../etc/zfpm",
};

// The Debian package: /usr/sbin/zfpm, configuration in /etc/zfpm, state in /var.
constexpr InstallPaths kDebian{
    .prefix = "..",
    .localstatedir = "../../var",
    .lib_dir = "../lib/zfpm",
    .config_dir = "../../etc/zfpm",
    .php_ini_dir = "../../etc/zfpm",
};

}  // namespace

TEST_CASE("an installed tree's files are found beside the binary, wherever the tree is") {
  for (const char* prefix : {"/opt/zfpm", "/srv/elsewhere/zfpm"}) {
    const auto layout = layout_for(std::string(prefix) + "/sbin", kUnderPrefix, true);
    REQUIRE(layout.installed());
    CHECK(layout.prefix == prefix);
    CHECK(layout.localstatedir == std::string(prefix) + "/var");
    CHECK(layout.lib_dir == std::string(prefix) + "/lib/zfpm");
    CHECK(layout.extension_dir == std::string(prefix) + "/lib/zfpm/extensions");
    CHECK(layout.config_file == std::string(prefix) + "/etc/zfpm/php-fpm.conf");
    CHECK(layout.php_ini_dir == std::string(prefix) + "/etc/zfpm");
    CHECK(layout.scan_dir() == std::string(prefix) + "/etc/zfpm/conf.d");
  }
}

TEST_CASE("the Debian package's binary in /usr/sbin reads /etc/zfpm and keeps state in /var") {
  const auto layout = layout_for("/usr/sbin", kDebian, true);
  CHECK(layout.prefix == "/usr");
  CHECK(layout.localstatedir == "/var");
  CHECK(layout.lib_dir == "/usr/lib/zfpm");
  CHECK(layout.config_file == "/etc/zfpm/php-fpm.conf");
  CHECK(layout.scan_dir() == "/etc/zfpm/conf.d");
}

TEST_CASE("a binary with no private PHP beside it (its build tree) has no install layout") {
  const auto layout = layout_for("/src/zfpm/build", kUnderPrefix, false);
  CHECK_FALSE(layout.installed());
  CHECK(layout.config_file.empty());
  CHECK(layout.extension_dir.empty());
}
