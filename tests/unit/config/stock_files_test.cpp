// Real-world files load with zero diagnostics: Debian's stock php-fpm.conf and www.conf, the
// official Docker image's additions, and this repository's own config/ samples.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "memory_source.hpp"
#include "zfpm/config/dump.hpp"
#include "zfpm/config/fpm_ini.hpp"
#include "zfpm/config/loader.hpp"
#include "zfpm/config/validate.hpp"

using namespace zfpm::config;
using zfpm::config::testing::MemorySource;

namespace {

const std::filesystem::path kHere = std::filesystem::path(__FILE__).parent_path();
const std::filesystem::path kRepoConfig =
    kHere.parent_path().parent_path().parent_path() / "config";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.message + "\n";
  return out;
}

ParseResult load_and_validate(MemorySource& source, const std::string& file) {
  auto result = load_fpm_ini(file, source);
  auto checks = validate(result.config);
  result.diagnostics.insert(result.diagnostics.end(), checks.begin(), checks.end());
  return result;
}

}  // namespace

TEST_CASE("Debian's stock php-fpm.conf and pool.d/www.conf load with zero diagnostics") {
  MemorySource source;
  source.files["/etc/php/8.2/fpm/php-fpm.conf"] = slurp(kHere / "data/debian/php-fpm.conf");
  source.files["/etc/php/8.2/fpm/pool.d/www.conf"] = slurp(kHere / "data/debian/www.conf");
  auto result = load_and_validate(source, "/etc/php/8.2/fpm/php-fpm.conf");
  CHECK_MESSAGE(result.diagnostics.empty(), describe(result.diagnostics));
  const auto& config = result.config;
  CHECK(config.global.pid == "/run/php/php8.2-fpm.pid");
  CHECK(config.global.error_log == "/var/log/php8.2-fpm.log");
  REQUIRE(config.pools.size() == 1);
  const auto& www = config.pools[0];
  CHECK(www.name == "www");
  CHECK(www.user == "www-data");
  CHECK(www.listen.address == "/run/php/php8.2-fpm.sock");
  CHECK(www.listen.owner == "www-data");
  CHECK(www.pm.style == PmStyle::Dynamic);
  CHECK(www.pm.max_children == 5);
  CHECK(www.pm.start_servers == 2);
  CHECK(www.pm.min_spare_servers == 1);
  CHECK(www.pm.max_spare_servers == 3);
  CHECK(www.security_limit_extensions == ".php .phar");
}

TEST_CASE("the official Docker image's docker.conf and zz-docker.conf apply on top of www") {
  MemorySource source;
  source.files["/usr/local/etc/php-fpm.conf"] = "[global]\ninclude=etc/php-fpm.d/*.conf\n";
  source.files["/usr/local/etc/php-fpm.d/docker.conf"] = slurp(kHere / "data/docker/docker.conf");
  source.files["/usr/local/etc/php-fpm.d/www.conf"] =
      "[www]\nuser = www-data\ngroup = www-data\npm = dynamic\npm.max_children = 5\n"
      "pm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n";
  source.files["/usr/local/etc/php-fpm.d/zz-docker.conf"] =
      slurp(kHere / "data/docker/zz-docker.conf");
  auto parsed = load_fpm_ini("/usr/local/etc/php-fpm.conf", source, {.prefix = "/usr/local"});
  auto checks = validate(parsed.config);
  CHECK_MESSAGE(parsed.diagnostics.empty(), describe(parsed.diagnostics));
  CHECK_MESSAGE(checks.empty(), describe(checks));
  const auto& config = parsed.config;
  CHECK(config.global.error_log == "/proc/self/fd/2");
  CHECK(config.global.log_limit == 8192);
  CHECK_FALSE(config.global.daemonize);
  REQUIRE(config.pools.size() == 1);
  CHECK(config.pools[0].listen.address == "9000");
  CHECK(config.pools[0].access.log == "/proc/self/fd/2");
  CHECK_FALSE(config.pools[0].clear_env);
  CHECK(config.pools[0].catch_workers_output);
  CHECK_FALSE(config.pools[0].decorate_workers_output);
}

TEST_CASE("config/zfpm.toml and config/php-fpm.conf load clean and say the same thing") {
  auto from_toml = load_config((kRepoConfig / "zfpm.toml").string());
  CHECK_MESSAGE(from_toml.diagnostics.empty(), describe(from_toml.diagnostics));
  auto from_ini =
      load_config((kRepoConfig / "php-fpm.conf").string(), {.prefix = kRepoConfig.string()});
  CHECK_MESSAGE(from_ini.diagnostics.empty(), describe(from_ini.diagnostics));
  CHECK(from_toml.config == from_ini.config);
  REQUIRE(from_toml.config.pools.size() == 1);
  CHECK(from_toml.config.pools[0].listen.address == "127.0.0.1:9000");
}
