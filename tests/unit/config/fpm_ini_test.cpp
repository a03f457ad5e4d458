#include "zfpm/config/fpm_ini.hpp"

#include <doctest/doctest.h>

#include "memory_source.hpp"

using namespace zfpm::config;
using zfpm::config::testing::MemorySource;

namespace {

ParseResult parse(std::string_view text, MemorySource& source, const FpmIniOptions& options = {}) {
  return parse_fpm_ini(text, "/etc/php-fpm.conf", source, options);
}

ParseResult parse(std::string_view text) {
  MemorySource source;
  return parse(text, source);
}

// The value php_value[k] ends up with, through the whole dialect.
std::string php_value(std::string_view value_text, MemorySource& source) {
  auto result = parse("[www]\nphp_value[k] = " + std::string(value_text) + "\n", source);
  REQUIRE_MESSAGE(result.ok(), (result.diagnostics.empty() ? "" : result.diagnostics[0].message));
  REQUIRE(result.config.pools.size() == 1);
  REQUIRE(result.config.pools[0].php_value.size() == 1);
  return result.config.pools[0].php_value[0].value;
}

std::string php_value(std::string_view value_text) {
  MemorySource source;
  return php_value(value_text, source);
}

std::vector<std::string> messages(const ParseResult& result) {
  std::vector<std::string> out;
  for (const auto& d : result.diagnostics) out.push_back(d.message);
  return out;
}

std::string first_error(std::string_view text) {
  auto result = parse(text);
  REQUIRE_FALSE(result.ok());
  return result.diagnostics.at(0).message;
}

}  // namespace

TEST_CASE("comments, blank lines and surrounding blanks are ignored") {
  auto result = parse("; a comment\n\n   \n[global]   ; here too\n  pid = /run/a.pid ; trailing\n");
  CHECK(result.ok());
  CHECK(result.config.global.pid == "/run/a.pid");
  CHECK(result.config.pools.empty());
}

TEST_CASE("[global] and pool sections, a pool re-opens by name, case-insensitively") {
  auto result = parse(
      "[www]\nlisten = 9000\n[GLOBAL]\nlog_level = debug\n[api]\nlisten = 9001\n"
      "[WWW]\npm = static\n");
  REQUIRE(result.ok());
  REQUIRE(result.config.pools.size() == 2);
  CHECK(result.config.pools[0].name == "www");
  CHECK(result.config.pools[0].listen.address == "9000");
  CHECK(result.config.pools[0].pm.style == PmStyle::Static);
  CHECK(result.config.pools[1].name == "api");
  CHECK(result.config.global.log_level == LogLevel::Debug);
}

TEST_CASE("a section name is kept verbatim, blanks included, as php-fpm keeps it") {
  auto result = parse("[ w w ]\nlisten = 1\n");
  REQUIRE(result.config.pools.size() == 1);
  CHECK(result.config.pools[0].name == " w w ");
}

TEST_CASE("scalar names match case-insensitively, array names and include do not") {
  auto result = parse("[www]\nPM.Max_Children = 7\nLISTEN = 9000\n");
  CHECK(result.ok());
  CHECK(result.config.pools[0].pm.max_children == 7);
  CHECK(first_error("[www]\nPHP_VALUE[x] = 1\n") ==
        "[/etc/php-fpm.conf:2] unknown directive 'PHP_VALUE'");
  CHECK(first_error("[www]\nInclude = /x\n") == "[/etc/php-fpm.conf:2] unknown entry 'Include'");
}

TEST_CASE("quotes: double quotes keep blanks and semicolons, single quotes are raw") {
  CHECK(php_value("\"a ; b\"") == "a ; b");
  CHECK(php_value("'a ${HOME} \\\"'") == "a ${HOME} \\\"");
  CHECK(php_value("\"say \\\"hi\\\" \\\\ \\$ \\n\"") == "say \"hi\" \\ $ \\n");
  CHECK(php_value("\"C:\\path\\\"") == "C:\\path\\");
}

TEST_CASE("pieces of a value are joined, blanks after a closing quote are eaten") {
  MemorySource source;
  source.environment["HOME"] = "/root";
  CHECK(php_value("\"quoted ${HOME}\" tail", source) == "quoted /roottail");
  CHECK(php_value("hello   world  ") == "hello   world");
  CHECK(php_value("a \"b\"") == "ab");
}

TEST_CASE("${NAME} is the environment's NAME, or nothing") {
  MemorySource source;
  source.environment["POOL_PORT"] = "9123";
  auto result = parse("[www]\nlisten = 127.0.0.1:${POOL_PORT}\nuser = ${NOT_SET}x\n", source);
  REQUIRE(result.ok());
  CHECK(result.config.pools[0].listen.address == "127.0.0.1:9123");
  CHECK(result.config.pools[0].user == "x");
}

TEST_CASE("${ENV} booleans work (php-src GH-13563)") {
  MemorySource source;
  source.environment["CLEAR"] = "no";
  auto result = parse("[www]\nclear_env = ${CLEAR}\n", source);
  REQUIRE(result.ok());
  CHECK_FALSE(result.config.pools[0].clear_env);
}

TEST_CASE("bare yes/on/true become \"1\", no/off/false/none/null \"\", in any case") {
  CHECK(php_value("On") == "1");
  CHECK(php_value("YES") == "1");
  CHECK(php_value("true") == "1");
  CHECK(php_value("off") == "");
  CHECK(php_value("None") == "");
  CHECK(php_value("null") == "");
  CHECK(php_value("yesterday") == "yesterday");
  CHECK(php_value("on.php") == "on.php");
  CHECK(php_value("\"on\"") == "on");
}

TEST_CASE("E_* constants and | & ^ ~ ! ( ) are evaluated, as for error_reporting") {
  CHECK(php_value("E_ALL") == "32767");
  CHECK(php_value("E_ALL & ~E_DEPRECATED") == "24575");
  CHECK(php_value("E_ALL & ~E_DEPRECATED & ~E_STRICT") == "22527");
  CHECK(php_value("E_ERROR | E_WARNING") == "3");
  CHECK(php_value("(E_ALL ^ E_NOTICE)") == "32759");
  CHECK(php_value("!0") == "1");
  CHECK(php_value("SOME_OTHER_NAME") == "SOME_OTHER_NAME");
}

TEST_CASE("php_flag and php_admin_flag are stored as \"1\"/\"0\" with the values") {
  auto result = parse(
      "[www]\nphp_flag[display_errors] = off\nphp_admin_flag[log_errors] = yes\n"
      "php_admin_value[memory_limit] = 64M\nphp_value[a] = 1\n");
  REQUIRE(result.ok());
  const auto& pool = result.config.pools[0];
  CHECK(pool.php_value == std::vector<KeyValue>{{"display_errors", "0"}, {"a", "1"}});
  CHECK(pool.php_admin_value ==
        std::vector<KeyValue>{{"log_errors", "1"}, {"memory_limit", "64M"}});
}

TEST_CASE("array keys: leading blanks go, the rest is kept, quotes are stripped") {
  auto result = parse("[www]\nphp_value[ k  x ] = a\nphp_value[\"q\"] = b\nenv [ PATH] = /bin\n");
  REQUIRE(result.ok());
  CHECK(result.config.pools[0].php_value == std::vector<KeyValue>{{"k  x", "a"}, {"q", "b"}});
  CHECK(result.config.pools[0].env == std::vector<KeyValue>{{"PATH", "/bin"}});
}

TEST_CASE("env[K] = $VAR is kept for the worker to expand, $pool expands everywhere") {
  auto result = parse(
      "[api]\nenv[HOME] = $HOME\nlisten = /run/php/$pool.sock\nphp_value[session.name] = "
      "s_$pool\naccess.log = /var/log/$pool.$pool.log\naccess.suppress_path[] = /$pool\n");
  REQUIRE(result.ok());
  const auto& pool = result.config.pools[0];
  CHECK(pool.env[0].value == "$HOME");
  CHECK(pool.listen.address == "/run/php/api.sock");
  CHECK(pool.php_value[0].value == "s_api");
  CHECK(pool.access.log == "/var/log/api.api.log");
  CHECK(pool.access.suppress_path == std::vector<std::string>{"/api"});
}

TEST_CASE("every string directive and value is stored, durations in seconds") {
  auto result = parse(
      "[www]\nrequest_terminate_timeout = 2m\nrequest_slowlog_timeout = 5s\n"
      "pm.process_idle_timeout = 1h\nrlimit_core = unlimited\nrlimit_files = 4096\n"
      "listen.allowed_clients =\nsecurity.limit_extensions = .php .php7\n"
      "[global]\nemergency_restart_interval = 1d\nprocess_control_timeout = 10\n"
      "syslog.facility = LOCAL0\nsystemd_interval = 0\n");
  REQUIRE(result.ok());
  const auto& pool = result.config.pools[0];
  CHECK(pool.request_terminate_timeout == std::chrono::seconds{120});
  CHECK(pool.request_slowlog_timeout == std::chrono::seconds{5});
  CHECK(pool.pm.process_idle_timeout == std::chrono::seconds{3600});
  CHECK(pool.rlimit_core == -1);
  CHECK(pool.rlimit_files == 4096);
  CHECK(pool.listen.allowed_clients == "");  // set and empty: nobody (php-fpm verified)
  CHECK(pool.security_limit_extensions == ".php .php7");
  CHECK(result.config.global.emergency_restart_interval == std::chrono::seconds{86400});
  CHECK(result.config.global.process_control_timeout == std::chrono::seconds{10});
  CHECK(result.config.global.syslog.facility == "local0");
  CHECK(result.config.global.systemd_interval == std::chrono::seconds{0});
}

TEST_CASE("defaults are php-fpm's") {
  auto result = parse("[www]\n");
  REQUIRE(result.ok());
  const auto& g = result.config.global;
  CHECK_FALSE(g.pid);
  CHECK(g.error_log == "log/php-fpm.log");
  CHECK(g.syslog.ident == "php-fpm");
  CHECK(g.syslog.facility == "daemon");
  CHECK(g.log_buffering);
  CHECK_FALSE(g.log_level);
  CHECK(g.log_limit == 1024);
  CHECK(g.daemonize);
  CHECK(g.process.max == 0);
  CHECK_FALSE(g.process.priority);
  const auto& p = result.config.pools[0];
  CHECK(p.listen.backlog == -1);
  CHECK(p.pm.max_spawn_rate == 32);
  CHECK(p.pm.process_idle_timeout == std::chrono::seconds{10});
  CHECK(p.pm.max_requests == 0);
  CHECK(p.clear_env);
  CHECK_FALSE(p.catch_workers_output);
  CHECK(p.decorate_workers_output);
  CHECK(p.security_limit_extensions == ".php .phar");
  CHECK_FALSE(p.process.dumpable);
  CHECK_FALSE(p.listen.allowed_clients);
}

TEST_CASE("CRLF line ends are accepted") {
  auto result = parse("[www]\r\nlisten = 9000\r\n");
  REQUIRE(result.ok());
  CHECK(result.config.pools[0].listen.address == "9000");
}

TEST_CASE("errors carry php-fpm's wording, the file and the line") {
  auto result = parse("[global]\n\nfoo = 1\n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0] ==
        Error{"/etc/php-fpm.conf", 3, "[/etc/php-fpm.conf:3] unknown entry 'foo'", Level::Error});
}

TEST_CASE("each error path has php-fpm's message") {
  const std::string at = "[/etc/php-fpm.conf:2] ";
  CHECK(first_error("[www]\nclear_env = maybe\n") ==
        at + "unable to parse value for entry 'clear_env': invalid boolean value");
  CHECK(first_error("[www]\npm.max_children = 5x\n") ==
        at + "unable to parse value for entry 'pm.max_children': is not a valid number (greater "
             "or equal than zero)");
  CHECK(first_error("[www]\nrequest_terminate_timeout = 5x\n") ==
        at + "unable to parse value for entry 'request_terminate_timeout': unknown suffix used "
             "in time value");
  CHECK(first_error("[www]\nrequest_terminate_timeout =\n") ==
        at + "unable to parse value for entry 'request_terminate_timeout': invalid time value");
  CHECK(first_error("[www]\npm = lazy\n") ==
        at + "unable to parse value for entry 'pm': invalid process manager (static, dynamic or "
             "ondemand)");
  CHECK(first_error("[global]\nlog_level = loud\n") ==
        at + "unable to parse value for entry 'log_level': invalid value for 'log_level'");
  CHECK(first_error("[global]\nsyslog.facility = nowhere\n") ==
        at + "unable to parse value for entry 'syslog.facility': invalid value");
  CHECK(first_error("[www]\nrlimit_core = -2\n") ==
        at + "unable to parse value for entry 'rlimit_core': must be greater than zero or "
             "'unlimited'");
  CHECK(first_error("[global]\npid = /run/$pool.pid\n") ==
        at + "unable to parse value for entry 'pid': Can't use '$pool' when the pool is not "
             "defined");
  CHECK(first_error("[www]\nlisten\n") == at + "value is NULL for a ZEND_INI_PARSER_ENTRY");
  CHECK(first_error("[global]\nphp_value[x] = 1\n") ==
        at + "Array are not allowed in the global section");
  CHECK(first_error("[global]\nphp_value[] = 1\n") ==
        at + "You must provide a key for field 'php_value'");
  CHECK(first_error("[www]\nphp_value[] = 1\n") ==
        at + "You must provide a key for field 'php_value'");
  CHECK(first_error("[www]\nenv[X] =\n") == at + "empty value");
  CHECK(first_error("[www]\nphp_flag[x] = maybe\n") ==
        at + "error while parsing 'php_flag[x]' : invalid boolean value");
  CHECK(first_error("[www]\nfoo[x] = 1\n") == at + "unknown directive 'foo'");
  CHECK(first_error("[www]\naccess.suppress_path[] = ping\n") ==
        at + "Values provided to field 'access.suppress_path' must begin with '/'");
}

TEST_CASE("access.suppress_path[] with a key reports both of php-fpm's errors") {
  auto result = parse("[www]\naccess.suppress_path[x] = ping\n");
  CHECK(messages(result) ==
        std::vector<std::string>{
            "[/etc/php-fpm.conf:2] Keys provided to field 'access.suppress_path' are ignored",
            "[/etc/php-fpm.conf:2] Values provided to field 'access.suppress_path' must begin "
            "with '/'"});
}

TEST_CASE("syntax errors name the file and line") {
  CHECK(first_error("[www]\nlisten = a=b\n") ==
        "[/etc/php-fpm.conf:2] syntax error, unexpected '='");
  CHECK(first_error("[www]\nlisten = \"abc\n") ==
        "[/etc/php-fpm.conf:2] syntax error, unexpected end of file");
  CHECK(first_error("[www\n") == "[/etc/php-fpm.conf:1] syntax error, unexpected end of file");
  CHECK(first_error("= 1\n") == "[/etc/php-fpm.conf:1] syntax error, unexpected '='");
}

TEST_CASE("every error is returned, not only the first") {
  auto result = parse("[www]\nfoo = 1\nbar = 2\npm.max_children = x\n");
  CHECK(result.diagnostics.size() == 3);
  CHECK(result.diagnostics[2].line == 4);
}

TEST_CASE("include= globs are read in sorted order, relative to the prefix") {
  MemorySource source;
  source.files["/opt/fpm/pool.d/b.conf"] = "[b]\nlisten = 2\n";
  source.files["/opt/fpm/pool.d/a.conf"] = "[a]\nlisten = 1\n[www]\npm = static\n";
  source.files["/opt/fpm/pool.d/sub.conf/"] = "";  // a directory: skipped
  auto result = parse("[www]\nlisten = 0\ninclude = pool.d/*.conf\n[global]\n", source,
                      FpmIniOptions{.prefix = "/opt/fpm"});
  REQUIRE(result.ok());
  REQUIRE(result.config.pools.size() == 3);
  CHECK(result.config.pools[0].name == "www");
  CHECK(result.config.pools[0].pm.style == PmStyle::Static);  // re-opened by a.conf
  CHECK(result.config.pools[1].name == "a");
  CHECK(result.config.pools[2].name == "b");
}

TEST_CASE("a section opened by an included file is still open after the include line") {
  MemorySource source;
  source.files["/etc/inc.conf"] = "[other]\n";
  auto result = parse("[www]\ninclude = /etc/inc.conf\nlisten = 9\n", source);
  REQUIRE(result.ok());
  CHECK(result.config.pools[1].listen.address == "9");
}

TEST_CASE("include= errors: nothing matches warns, a missing directory or file fails") {
  MemorySource source;
  source.files["/etc/pool.d/www.conf"] = "[www]\nbogus = 1\n";
  auto nothing = parse("include = /etc/pool.d/*.none\n", source);
  CHECK(nothing.ok());
  REQUIRE(nothing.diagnostics.size() == 1);
  CHECK(nothing.diagnostics[0].level == Level::Warning);
  CHECK(nothing.diagnostics[0].message ==
        "Nothing matches the include pattern '/etc/pool.d/*.none' from /etc/php-fpm.conf at "
        "line 1.");
  CHECK(first_error("include = /nonexist/*.conf\n") ==
        "Unable to globalize '/nonexist/*.conf' (ret=2) from /etc/php-fpm.conf at line 1.");
  auto bad = parse("\ninclude = /etc/pool.d/*.conf\n", source);
  CHECK(messages(bad) ==
        std::vector<std::string>{"[/etc/pool.d/www.conf:2] unknown entry 'bogus'",
                                 "Unable to include /etc/pool.d/www.conf from /etc/php-fpm.conf "
                                 "at line 2"});
}

TEST_CASE("include= nests at most 5 files deep") {
  MemorySource source;
  for (int i = 1; i <= 5; ++i) {
    source.files["/etc/" + std::to_string(i) + ".conf"] =
        "include = /etc/" + std::to_string(i + 1) + ".conf\n";
  }
  source.files["/etc/6.conf"] = "[deep]\n";
  auto four = parse("include = /etc/2.conf\n", source);  // main + 2, 3, 4, 5 = 5 files: fine
  CHECK_FALSE(four.ok());                                // 5.conf includes 6.conf: the sixth file
  CHECK(four.diagnostics[0].message == "failed to include more than 5 files recursively");
  source.files["/etc/5.conf"] = "[five]\n";
  auto five = parse("include = /etc/2.conf\n", source);
  CHECK(five.ok());
  REQUIRE(five.config.pools.size() == 1);
  CHECK(five.config.pools[0].name == "five");
}

TEST_CASE("load_fpm_ini reports a missing file as php-fpm does") {
  MemorySource source;
  auto result = load_fpm_ini("/nope.conf", source);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].message ==
        "failed to open configuration file '/nope.conf': No such file or directory (2)");
}
