// Where zfpm finds php.ini, as php-fpm does (main/php_ini.c with fpm_main.c's settings): -c (a
// folder or a file), else $PHPRC, then the binary's folder and the build's config path, never the
// current directory; php-fpm-fcgi.ini before php.ini in each place; the .ini files of
// $PHP_INI_SCAN_DIR after it; -n for none of them (but a -c file still loads).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* report_php =
    "<?php echo var_export(php_ini_loaded_file(), true), '|', "
    "var_export(php_ini_scanned_files(), true), '|', ini_get('precision'), '|', "
    "ini_get('serialize_precision'), '|', ini_get('date.timezone');";

struct Launch {
  std::vector<std::string> args;                // after the --listen/--workers/--root ones
  std::map<std::string, std::string> env = {};  // added to a copy of the test's environment
  std::string cwd = {};                         // "" = the test's
  std::string binary = zfpm_binary();
};

// zfpm started through env(1): PHPRC and PHP_INI_SCAN_DIR from the test's own environment are
// dropped, `env` is added, and `cwd` is the working directory.
class LaunchedZfpm {
 public:
  explicit LaunchedZfpm(const Launch& launch) {
    address_ = "127.0.0.1:" + std::to_string(free_tcp_port());
    std::vector<std::string> argv{"/usr/bin/env", "-u", "PHPRC", "-u", "PHP_INI_SCAN_DIR"};
    if (!launch.cwd.empty()) argv.insert(argv.end(), {"-C", launch.cwd});
    for (const auto& [name, value] : launch.env) argv.push_back(name + "=" + value);
    argv.insert(argv.end(),
                {launch.binary, "--listen", address_, "--workers", "1", "--root", docroot.path()});
    argv.insert(argv.end(), launch.args.begin(), launch.args.end());
    process.start(argv);
    process.wait_until_connectable(address_);
    script_ = docroot.write("report.php", report_php);
  }

  std::string report() {
    auto response = FcgiConnection::open(address_, 15s).request(params_for(script_));
    return response.body;
  }

  TempDir docroot;
  ServerProcess process;

 private:
  std::string address_;
  std::string script_;
};

}  // namespace

TEST_CASE("-c with a folder loads its php.ini") {
  TempDir conf;
  auto ini = conf.write("php.ini", "precision = 7\n");
  LaunchedZfpm zfpm({.args = {"-c", conf.path()}});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "'" + ini + "'|false|7|-1|UTC");
}

TEST_CASE("-c with a file loads that file, whatever its name") {
  TempDir conf;
  auto ini = conf.write("custom-settings.conf", "precision = 8\n");
  LaunchedZfpm zfpm({.args = {"-c", ini}});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "'" + ini + "'|false|8|-1|UTC");
}

TEST_CASE("php-fpm-fcgi.ini (php-<SAPI name>.ini) comes before php.ini in the same folder") {
  TempDir conf;
  conf.write("php.ini", "precision = 7\n");
  auto sapi_ini = conf.write("php-fpm-fcgi.ini", "precision = 9\n");
  LaunchedZfpm zfpm({.args = {"-c", conf.path()}});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "'" + sapi_ini + "'|false|9|-1|UTC");
}

TEST_CASE("$PHPRC names the folder when there is no -c") {
  TempDir conf;
  auto ini = conf.write("php.ini", "precision = 6\n");
  LaunchedZfpm zfpm({.args = {}, .env = {{"PHPRC", conf.path()}}});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "'" + ini + "'|false|6|-1|UTC");
}

TEST_CASE("the current directory is never searched") {
  TempDir cwd;
  cwd.write("php.ini", "precision = 5\n");
  cwd.write("php-fpm-fcgi.ini", "precision = 5\n");
  LaunchedZfpm zfpm({.args = {}, .env = {}, .cwd = cwd.path()});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "false|false|14|-1|UTC");
}

TEST_CASE("$PHP_INI_SCAN_DIR's .ini files apply after php.ini, in name order, others are skipped") {
  TempDir conf;
  TempDir scan;
  TempDir scan2;
  auto ini = conf.write("php.ini", "precision = 7\nserialize_precision = 10\n");
  auto first = scan.write("10-first.ini", "precision = 11\ndate.timezone = Asia/Tokyo\n");
  auto second = scan.write("20-second.ini", "precision = 12\n");
  scan.write("30-ignored.conf", "precision = 99\n");
  auto third = scan2.write("zz.ini", "serialize_precision = 13\n");
  LaunchedZfpm zfpm({.args = {"-c", conf.path()},
                     .env = {{"PHP_INI_SCAN_DIR", scan.path() + ":" + scan2.path()}}});
  INFO("zfpm log:\n", zfpm.process.log());

  // php_ini_scanned_files() ends with a newline after the last file, as PHP prints it.
  CHECK(zfpm.report() ==
        "'" + ini + "'|'" + first + ",\n" + second + ",\n" + third + "\n'|12|13|Asia/Tokyo");
}

TEST_CASE("-n loads no php.ini and no scan folder, but a -c file still loads") {
  TempDir conf;
  TempDir scan;
  auto ini = conf.write("php.ini", "precision = 7\n");
  scan.write("a.ini", "precision = 11\n");
  LaunchedZfpm without(
      {.args = {"-n"}, .env = {{"PHPRC", conf.path()}, {"PHP_INI_SCAN_DIR", scan.path()}}});
  INFO("zfpm log:\n", without.process.log());
  CHECK(without.report() == "false|false|14|-1|UTC");

  LaunchedZfpm with_c(
      {.args = {"-n", "-c", conf.path()}, .env = {{"PHP_INI_SCAN_DIR", scan.path()}}});
  CHECK(with_c.report() == "'" + ini + "'|false|7|-1|UTC");
}

TEST_CASE("-d overrides php.ini and the scan folder") {
  TempDir conf;
  TempDir scan;
  conf.write("php.ini", "precision = 7\n");
  scan.write("a.ini", "precision = 11\n");
  LaunchedZfpm zfpm({.args = {"-c", conf.path(), "-d", "precision=4"},
                     .env = {{"PHP_INI_SCAN_DIR", scan.path()}}});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report().find("|4|-1|UTC") != std::string::npos);
}

TEST_CASE("without -c or $PHPRC, the php.ini next to the zfpm binary is found") {
  TempDir bin;
  std::string binary = bin.file("zfpm");
  // A hard link, or a copy where the temporary folder is on another file system than the build:
  // its own folder, unlike a symlink, which PHP would resolve.
  if (::link(zfpm_binary().c_str(), binary.c_str()) != 0) {
    REQUIRE(errno == EXDEV);
    REQUIRE(std::filesystem::copy_file(zfpm_binary(), binary));
    std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  }
  auto ini = bin.write("php.ini", "precision = 3\n");
  LaunchedZfpm zfpm({.args = {}, .env = {}, .cwd = {}, .binary = binary});
  INFO("zfpm log:\n", zfpm.process.log());

  CHECK(zfpm.report() == "'" + ini + "'|false|3|-1|UTC");
}

// php-fpm reads php.ini in its master, before any pool takes its user: a php.ini only root may
// read still applies to a pool that runs as nobody. So must zfpm's pool child.
TEST_CASE("a php.ini only root can read applies to a pool that runs as another user") {
  if (::geteuid() != 0) {
    MESSAGE("ZFPM_TEST_SKIPPED: needs root to start a pool as another user");
    return;
  }
  TempDir config;
  const std::string ini = config.write("php.ini", "precision = 7\n");
  ::chmod(config.path().c_str(), 0700);
  ::chmod(ini.c_str(), 0600);
  ZfpmServer server(
      {.workers = 1, .extra_args = {"-c", ini}, .pool_config = "user = nobody\ngroup = nogroup\n"});
  INFO("zfpm log:\n", server.process.log());
  // The pool's user must reach the script: the test's temporary folders are 0700.
  ::chmod(server.docroot.path().c_str(), 0755);
  auto script =
      server.script("whoami.php",
                    "<?php echo posix_getpwuid(posix_geteuid())['name'], '|', "
                    "ini_get('precision'), '|', var_export(php_ini_loaded_file(), true);");
  ::chmod(script.c_str(), 0644);

  auto response = server.get(script);

  CHECK(response.body == "nobody|7|'" + ini + "'");
  CHECK(server.process.log().find("PHP Warning") == std::string::npos);
}
