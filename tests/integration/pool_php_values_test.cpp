// A pool's php_value[] / php_flag[] / php_admin_value[] / php_admin_flag[] (fpm_php.c:
// fpm_php_apply_defines), through a real php-fpm.conf: what scripts see, what they may change,
// and how per-request PHP_VALUE and .user.ini sit on top.
#include <doctest/doctest.h>

#include <string>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

TEST_CASE("php_value and php_flag are the pool's defaults, ini_set changes one request only") {
  ZfpmServer server({.workers = 1,
                     .pool_config = "php_value[precision] = 6\n"
                                    "php_flag[short_open_tag] = on\n"
                                    "php_flag[html_errors] = off\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "v.php",
      "<?php echo ini_get('precision'), '|', ini_get('short_open_tag'), '|', "
      "ini_get('html_errors'), '|', var_export(ini_set('precision', '3'), true), '|', "
      "ini_get('precision'), '|', ini_get_all()['precision']['global_value'];");

  CHECK(server.get(script).body == "6|1|0|'6'|3|6");
  CHECK(server.get(script).body == "6|1|0|'6'|3|6");
}

TEST_CASE("php_admin_value and php_admin_flag cannot be changed by ini_set()") {
  ZfpmServer server({.workers = 1,
                     .pool_config = "php_admin_value[memory_limit] = 32M\n"
                                    "php_admin_flag[log_errors] = off\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("a.php",
                    "<?php echo ini_get('memory_limit'), '|', var_export(ini_set('memory_limit', "
                    "'64M'), true), '|', ini_get('memory_limit'), '|', ini_get('log_errors'), '|', "
                    "var_export(ini_set('log_errors', '1'), true), '|', "
                    "ini_get_all()['memory_limit']['access'];");

  CHECK(server.get(script).body == "32M|false|32M|0|false|4");
}

TEST_CASE("bug75212: .user.ini overrides php_value but not php_admin_value") {
  ZfpmServer server({.pool_config = "php_admin_value[memory_limit] = 32M\n"
                                    "php_value[date.timezone] = Europe/London\n"});
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "memory_limit=64M\ndate.timezone=Europe/Paris\n");
  auto script =
      server.script("u.php", "<?php var_dump(ini_get('memory_limit'), ini_get('date.timezone'));");

  CHECK(server.get(script).body == "string(3) \"32M\"\nstring(12) \"Europe/Paris\"\n");
}

TEST_CASE("PHP_VALUE and PHP_ADMIN_VALUE override the pool for one request, then it is back") {
  ZfpmServer server({.workers = 1,
                     .pool_config = "php_value[precision] = 6\n"
                                    "php_admin_value[serialize_precision] = 5\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "p.php", "<?php echo ini_get('precision'), '|', ini_get('serialize_precision');");
  auto params = params_for(script);
  set_param(params, "PHP_VALUE", "precision=9");
  set_param(params, "PHP_ADMIN_VALUE", "serialize_precision=8");

  CHECK(server.connect().request(params).body == "9|8");
  CHECK(server.get(script).body == "6|5");
}

TEST_CASE("a key given twice: the first line wins, as in php-fpm's reversed list") {
  ZfpmServer server({.pool_config = "php_value[precision] = 6\n"
                                    "php_value[precision] = 7\n"});
  INFO("zfpm log:\n", server.process.log());
  CHECK(server.get(server.script("t.php", "<?php echo ini_get('precision');")).body == "6");
}

TEST_CASE("disable_functions and disable_classes add to php.ini's") {
  ZfpmServer server({.extra_args = {"-d", "disable_functions=ucfirst"},
                     .pool_config = "php_admin_value[disable_functions] = strrev, str_rot13\n"
                                    "php_admin_value[disable_classes] = ArrayObject\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "d.php",
      "<?php echo json_encode([function_exists('strrev'), function_exists('str_rot13'),"
      " function_exists('ucfirst'), function_exists('strtoupper'),"
      " ini_get('disable_functions'), ini_get('disable_classes')]), '|';"
      " new ArrayObject([]);");

  auto response = server.get(script);
  CHECK(
      response.body.starts_with(R"([false,false,false,true,"strrev, str_rot13","ArrayObject"]|)"));
  CHECK(response.body.find("ArrayObject() has been disabled for security reasons") !=
        std::string::npos);
}

TEST_CASE("an unknown key is logged as php-fpm logs it, the pool still starts") {
  ZfpmServer server({.pool_config = "php_value[no_such_thing] = 1\n"
                                    "php_admin_value[zend_extension] = opcache\n"});
  INFO("zfpm log:\n", server.process.log());
  CHECK(server.process.wait_for_log("Unable to set php_value 'no_such_thing'"));
  CHECK(server.process.wait_for_log("Unable to set php_admin_value 'zend_extension'"));
  CHECK(server.get(server.script("ok.php", "<?php echo 'ok';")).body == "ok");
}

#ifdef ZFPM_SANITIZER_BUILD
// ASan refuses PHP's dlopen(RTLD_DEEPBIND) of extensions (google/sanitizers#611): the pool's
// process would die loading one. The normal build runs this test.
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

TEST_CASE("php_admin_value[extension] loads the extension into the pool's process" *
          doctest::skip(kSanitizerBuild)) {
  // The only shared library at hand is opcache, a Zend extension: PHP refuses it with its own
  // warning (logged with log_errors=1), which shows the path is taken; the pool starts anyway, as
  // php-fpm's does.
  ZfpmServer server({.extra_args = {"-d", "log_errors=1"},
                     .pool_config = "php_admin_value[extension] = opcache\n"});
  INFO("zfpm log:\n", server.process.log());
  CHECK(server.process.wait_for_log("Invalid library (appears to be a Zend Extension"));
  CHECK(server.get(server.script("ok.php", "<?php echo 'ok';")).body == "ok");
}
