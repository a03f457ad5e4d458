#include "zfpm/config/toml.hpp"

#include <doctest/doctest.h>

#include "memory_source.hpp"
#include "zfpm/config/fpm_ini.hpp"

using namespace zfpm::config;

namespace {

ParseResult toml(std::string_view text) { return parse_toml(text, "/etc/zfpm.toml"); }

ParseResult ini(std::string_view text) {
  zfpm::config::testing::MemorySource source;
  return parse_fpm_ini(text, "/etc/php-fpm.conf", source);
}

std::string first_error(std::string_view text) {
  auto result = toml(text);
  REQUIRE_FALSE(result.ok());
  return result.diagnostics.at(0).message;
}

}  // namespace

TEST_CASE("the same configuration in both syntaxes yields the same model") {
  auto from_ini = ini(R"(
[global]
pid = /run/zfpm.pid
error_log = syslog
syslog.ident = zfpm
log_level = warning
process_control_timeout = 10s
emergency_restart_interval = 1m
daemonize = no
rlimit_core = unlimited
process.priority = -5

[www]
user = www-data
listen = /run/php/$pool.sock
listen.owner = www-data
listen.mode = 0660
listen.allowed_clients = 127.0.0.1
pm = dynamic
pm.max_children = 8
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
pm.status_path = /status
ping.path = /ping
access.log = /var/log/$pool.access.log
access.suppress_path[] = /ping
access.suppress_path[] = /status
request_terminate_timeout = 1h
catch_workers_output = yes
clear_env = no
env[PATH] = /usr/bin:/bin
php_value[memory_limit] = 64M
php_flag[display_errors] = off
php_value[session.save_path] = /tmp/$pool
php_admin_value[error_log] = /var/log/$pool.php.log
php_admin_flag[log_errors] = on

[api]
listen = 127.0.0.1:9001
pm = static
pm.max_children = 2
)");
  auto from_toml = toml(R"(
[global]
pid = "/run/zfpm.pid"
error_log = "syslog"
syslog.ident = "zfpm"
log_level = "warning"
process_control_timeout = "10s"
emergency_restart_interval = 60
daemonize = false
rlimit_core = "unlimited"
process.priority = -5

[pool.www]
user = "www-data"
listen.address = "/run/php/$pool.sock"
listen.owner = "www-data"
listen.mode = "0660"
listen.allowed_clients = "127.0.0.1"
pm.style = "dynamic"
pm.max_children = 8
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
pm.status_path = "/status"
ping.path = "/ping"
access.log = "/var/log/$pool.access.log"
access.suppress_path = ["/ping", "/status"]
request_terminate_timeout = "1h"
catch_workers_output = true
clear_env = "no"
env.PATH = "/usr/bin:/bin"
php_value.memory_limit = "64M"
php_flag.display_errors = false
php_value.session.save_path = "/tmp/$pool"
php_admin_value.error_log = "/var/log/$pool.php.log"
php_admin_flag.log_errors = "on"

[pool.api]
listen = "127.0.0.1:9001"
"pm" = "static"
"pm.max_children" = 2
)");
  REQUIRE_MESSAGE(from_ini.ok(), from_ini.diagnostics.at(0).message);
  REQUIRE_MESSAGE(from_toml.ok(), from_toml.diagnostics.at(0).message);
  CHECK(from_toml.config == from_ini.config);
  REQUIRE(from_toml.config.pools.size() == 2);
  CHECK(from_toml.config.pools[0].name == "www");  // file order, not toml++'s key order
  CHECK(from_toml.config.pools[0].listen.address == "/run/php/www.sock");
  CHECK(from_toml.config.pools[0].php_value[1] == KeyValue{"display_errors", "0"});
}

TEST_CASE("TOML errors name the file, the line and the full key") {
  CHECK(first_error("[pool.www]\nlisten = \"9000\"\n\npm.max_children = \"many\"\n") ==
        "[/etc/zfpm.toml:4] unable to parse value for entry 'pool.www.pm.max_children': is not "
        "a valid number (greater or equal than zero)");
  CHECK(first_error("[global]\nfoo = 1\n") == "[/etc/zfpm.toml:2] unknown entry 'global.foo'");
  CHECK(first_error("[pool.www]\npm.bogus = 1\n") ==
        "[/etc/zfpm.toml:2] unknown entry 'pool.www.pm.bogus'");
  CHECK(first_error("[global]\ndaemonize = \"maybe\"\n") ==
        "[/etc/zfpm.toml:2] unable to parse value for entry 'global.daemonize': invalid boolean "
        "value");
  CHECK(first_error("[global]\npid = 1.5\n") ==
        "[/etc/zfpm.toml:2] unable to parse value for entry 'global.pid': a string, an integer "
        "or a boolean is expected");
  CHECK(first_error("[pool.www]\nphp_flag.x = \"maybe\"\n") ==
        "[/etc/zfpm.toml:2] 'pool.www.php_flag.x': error while parsing 'php_flag[x]' : invalid "
        "boolean value");
  CHECK(first_error("[pool.www]\naccess.suppress_path = [\"ping\"]\n") ==
        "[/etc/zfpm.toml:2] 'pool.www.access.suppress_path': Values provided to field "
        "'access.suppress_path' must begin with '/'");
  CHECK(first_error("[pool.www]\nenv = \"x\"\n") ==
        "[/etc/zfpm.toml:2] 'pool.www.env': a table is expected (env.name = value)");
  CHECK(first_error("[global]\npid = \"/run/$pool.pid\"\n") ==
        "[/etc/zfpm.toml:2] unable to parse value for entry 'global.pid': Can't use '$pool' when "
        "the pool is not defined");
  CHECK(first_error("pool = 3\n") == "[/etc/zfpm.toml:1] unknown entry 'pool'");
  CHECK(first_error("[pool]\nwww = 3\n") == "[/etc/zfpm.toml:2] 'pool.www' must be a table");
}

TEST_CASE("TOML syntax errors carry the line toml++ reports") {
  auto result = toml("[global]\npid = \"/run/a.pid\"\nlog_level = \n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].line == 3);
  CHECK(result.diagnostics[0].message.rfind("[/etc/zfpm.toml:3] ", 0) == 0);
}

TEST_CASE("pm and pm.* together are a TOML error, which the quoted form avoids") {
  CHECK_FALSE(toml("[pool.www]\npm = \"static\"\npm.max_children = 5\n").ok());
  auto quoted = toml("[pool.www]\npm = \"static\"\n\"pm.max_children\" = 5\n");
  REQUIRE(quoted.ok());
  CHECK(quoted.config.pools[0].pm.max_children == 5);
}

TEST_CASE("durations: integers are seconds, strings take php-fpm's units") {
  auto result = toml(
      "[pool.www]\nrequest_terminate_timeout = 30\nrequest_slowlog_timeout = "
      "\"2m\"\npm.process_idle_timeout = \"1d\"\n");
  REQUIRE(result.ok());
  CHECK(result.config.pools[0].request_terminate_timeout == std::chrono::seconds{30});
  CHECK(result.config.pools[0].request_slowlog_timeout == std::chrono::seconds{120});
  CHECK(result.config.pools[0].pm.process_idle_timeout == std::chrono::seconds{86400});
}
