#include "zfpm/config/paths.hpp"

#include <doctest/doctest.h>

#include "memory_source.hpp"
#include "zfpm/config/fpm_ini.hpp"

using namespace zfpm::config;

namespace {

Config parse(std::string_view text) {
  zfpm::config::testing::MemorySource source;
  auto result = parse_fpm_ini(text, "t.conf", source);
  REQUIRE_MESSAGE(result.ok(), result.diagnostics.at(0).message);
  return result.config;
}

const char* kPaths =
    "[global]\npid = run/fpm.pid\n[www]\nlisten = run/www.sock\naccess.log = log/a.log\n"
    "slowlog = /abs/slow.log\nchdir = htdocs\nphp_value[error_log] = log/php.log\n"
    "php_value[memory_limit] = 64M\nphp_admin_value[error_log] = syslog\n"
    "[tcp]\nlisten = 9000\n[tcp6]\nlisten = [::1]:9000\n";

}  // namespace

TEST_CASE(
    "without -p: pid and error_log under localstatedir, pool paths under the install "
    "prefix") {
  auto config = parse(kPaths);
  CHECK(resolve_paths(config, {}).empty());
  CHECK(config.global.pid == "/var/run/fpm.pid");
  CHECK(config.global.error_log == "/var/log/php-fpm.log");
  const auto& www = config.pools[0];
  CHECK(www.listen.address == "/usr/run/www.sock");
  CHECK(www.access.log == "/usr/log/a.log");
  CHECK(www.slowlog == "/abs/slow.log");
  CHECK(www.chdir == "/usr/htdocs");
  CHECK(www.php_value[0].value == "/usr/log/php.log");
  CHECK(www.php_value[1].value == "64M");  // not a path entry
  CHECK(www.php_admin_value[0].value == "syslog");
  CHECK(config.pools[1].listen.address == "9000");  // digits: a TCP port
  CHECK(config.pools[2].listen.address == "[::1]:9000");
}

TEST_CASE("-p prefixes everything, a pool's prefix wins for its own paths") {
  auto config = parse(std::string(kPaths) + "[other]\nprefix = pools/other\naccess.log = a.log\n");
  CHECK(resolve_paths(config, {.prefix = "/srv/fpm"}).empty());
  CHECK(config.global.pid == "/srv/fpm/run/fpm.pid");
  CHECK(config.global.error_log == "/srv/fpm/log/php-fpm.log");
  CHECK(config.pools[0].listen.address == "/srv/fpm/run/www.sock");
  CHECK(config.pools[3].prefix == "/srv/fpm/pools/other");
  CHECK(config.pools[3].access.log == "/srv/fpm/pools/other/a.log");
}

TEST_CASE("error_log = syslog is left alone, resolving twice changes nothing") {
  auto config = parse("[global]\nerror_log = SysLog\n[www]\nlisten = a.sock\n");
  resolve_paths(config, {});
  CHECK(config.global.error_log == "SysLog");
  auto once = config;
  resolve_paths(config, {});
  CHECK(config == once);
}

TEST_CASE("chroot: $prefix only at its start, chroot and chdir must end up absolute") {
  auto config = parse("[www]\nchroot = $prefix/jail\n");
  CHECK(resolve_paths(config, {.prefix = "/srv"}).empty());
  CHECK(config.pools[0].chroot == "/srv//jail");  // php-fpm's own result, harmless
  auto bare = parse("[www]\nchroot = $prefix\nphp_value[error_log] = log/php.log\n");
  CHECK(resolve_paths(bare, {.prefix = "/srv"}).empty());
  CHECK(bare.pools[0].chroot == "/srv");
  CHECK(bare.pools[0].php_value[0].value == "log/php.log");  // under a chroot: as written
  auto misplaced = parse("[www]\nchroot = /jail/$prefix\n");
  CHECK(resolve_paths(misplaced, {}).empty());  // absolute: php-fpm never looks
  auto inner = parse("[www]\nchroot = jail/$prefix\n");
  auto errors = resolve_paths(inner, {});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "'$prefix' must be use at the beginning of the value");
  auto relative = parse("[www]\nchdir = www\nchroot = jail\n");
  std::vector<std::string> messages;
  for (const auto& e : resolve_paths(relative, {.prefix = "rel"})) messages.push_back(e.message);
  CHECK(messages ==
        std::vector<std::string>{"[pool www] the chroot path 'rel/jail' must start with a '/'",
                                 "[pool www] the chdir path 'rel/www' must start with a '/'"});
}
