#include "zfpm/cli/options.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace zfpm::cli;

namespace {

zfpm::Expected<Options, UsageError> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "zfpm");
  return parse_options(args);
}

}  // namespace

TEST_CASE("without options zfpm reads the default php-fpm.conf, as php-fpm does") {
  auto options = *parse({});
  CHECK(options.listen.empty());
  CHECK(options.fpm_config.empty());
  CHECK_FALSE(options.quick_start());
  CHECK_FALSE(options.no_php_ini);
  CHECK_FALSE(options.daemonize.has_value());
}

TEST_CASE("php-fpm's flags group as php_getopt reads them: -tt, -FOR, -y file, -yfile") {
  auto options = *parse({"-tt", "-FOR", "-y", "/etc/fpm.conf", "-p/srv", "-g", "/run/x.pid"});
  CHECK(options.test == 2);
  CHECK(options.daemonize == std::optional<bool>(false));
  CHECK(options.force_stderr);
  CHECK(options.allow_root);
  CHECK(options.fpm_config == "/etc/fpm.conf");
  CHECK(options.prefix == std::optional<std::string>("/srv"));
  CHECK(options.pid == std::optional<std::string>("/run/x.pid"));
  auto joined = *parse({"-y/etc/a.conf", "-D"});
  CHECK(joined.fpm_config == "/etc/a.conf");
  CHECK(joined.daemonize == std::optional<bool>(true));
}

TEST_CASE("php-fpm's long forms, with a space or '='") {
  auto options = *parse({"--fpm-config=/a.conf", "--prefix", "/srv", "--test", "--nodaemonize",
                         "--force-stderr", "--allow-to-run-as-root", "--php-ini", "/etc/php.ini",
                         "--define", "x=1", "--no-php-ini"});
  CHECK(options.fpm_config == "/a.conf");
  CHECK(options.prefix == std::optional<std::string>("/srv"));
  CHECK(options.test == 1);
  CHECK(options.daemonize == std::optional<bool>(false));
  CHECK(options.force_stderr);
  CHECK(options.allow_root);
  CHECK(options.php_ini == "/etc/php.ini");
  CHECK(options.ini_defines == std::vector<std::string>{"x=1"});
  CHECK(options.no_php_ini);
  CHECK(parse({"--config", "z.toml"})->fpm_config == "z.toml");
  CHECK(parse({"--usage"})->help);
  CHECK(parse({"-?"})->help);
  CHECK(parse({"-i"})->info);
  CHECK(parse({"--modules"})->modules);
}

TEST_CASE("bad options are usage errors: unknown, extra arguments, a missing value") {
  CHECK(!parse({"--memory-limit=1G"}).has_value());
  CHECK(!parse({"-Z"}).has_value());
  CHECK(!parse({"stray"}).has_value());
  CHECK(!parse({"-y"}).has_value());
  CHECK(!parse({"--test=1"}).has_value());
  // zfpm's quick start and a configuration file do not mix.
  CHECK(!parse({"-y", "a.conf", "--listen", "9000"}).has_value());
  CHECK(!parse({"--listen-mode", "0600"}).has_value());
}

TEST_CASE("usage names the program by its base name, as php-fpm does") {
  CHECK(usage("/usr/sbin/php-fpm8.2").starts_with("Usage: php-fpm8.2 [-n] [-e] [-h]"));
}

TEST_CASE("--listen repeats and takes --name=value") {
  auto options = *parse({"--listen", "9000", "--listen=/tmp/a.sock"});
  CHECK(options.listen == std::vector<std::string>{"9000", "/tmp/a.sock"});
}

TEST_CASE("-d takes key=value joined or apart, and a bare key means 1 as in php-fpm") {
  auto options = *parse({"-d", "memory_limit=64M", "-ddisplay_errors=0", "-d", "short_open_tag"});
  CHECK(options.ini_defines ==
        std::vector<std::string>{"memory_limit=64M", "display_errors=0", "short_open_tag=1"});
}

TEST_CASE("-c and -n set the php.ini lookup") {
  auto options = *parse({"-c", "/etc/php.ini", "-n"});
  CHECK(options.php_ini == "/etc/php.ini");
  CHECK(options.no_php_ini);
}

TEST_CASE("--workers must be a positive whole number") {
  CHECK(parse({"--workers", "16"})->workers == 16);
  CHECK(!parse({"--workers", "0"}).has_value());
  CHECK(!parse({"--workers", "many"}).has_value());
  CHECK(!parse({"--workers"}).has_value());
}

TEST_CASE("an unknown option is a usage error naming it") {
  auto result = parse({"--frobnicate"});
  REQUIRE(!result.has_value());
  CHECK(result.error().message.find("--frobnicate") != std::string::npos);
}

TEST_CASE("--log-level takes php-fpm's level names") {
  CHECK(parse({"--log-level", "debug"})->log_level == spdlog::level::debug);
  CHECK(!parse({"--log-level", "loud"}).has_value());
}

TEST_CASE("--security-limit-extensions defaults to php-fpm's list and may be emptied") {
  CHECK(parse({})->security_limit_extensions == ".php .phar");
  CHECK(parse({"--security-limit-extensions", ".php .inc"})->security_limit_extensions ==
        ".php .inc");
  CHECK(parse({"--security-limit-extensions="})->security_limit_extensions.empty());
}
