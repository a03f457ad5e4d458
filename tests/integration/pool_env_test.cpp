// A pool's environment and working directory (fpm_env.c, fpm_unix.c): clear_env, env[] (with
// "$NAME" from zfpm's own environment), USER/HOME, chdir — as getenv(), $_SERVER and the programs
// a script starts see them.
#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::string current_user() {
  const passwd* entry = ::getpwuid(::geteuid());
  return entry ? entry->pw_name : "";
}

}  // namespace

TEST_CASE("clear_env = yes (the default): only env[] and USER/HOME are left") {
  // zfpm inherits the test's environment: a variable only the master has.
  ::setenv("ZFPM_MASTER_ONLY", "from the master", 1);
  ZfpmServer server({.pool_config = "env[FOO] = bar baz\n"
                                    "env[FROM_MASTER] = $ZFPM_MASTER_ONLY\n"
                                    "env[MISSING] = $ZFPM_NO_SUCH_VARIABLE\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "e.php",
      "<?php echo json_encode([getenv('FOO'), getenv('FROM_MASTER'), getenv('MISSING'),"
      " getenv('ZFPM_MASTER_ONLY'), getenv('USER'), $_SERVER['FOO'] ?? null,"
      " isset($_SERVER['ZFPM_MASTER_ONLY']),"
      " trim(shell_exec('echo \"$FOO|$ZFPM_MASTER_ONLY|$FROM_MASTER\"'))]);");

  // As root without a pool user php-fpm sets no USER/HOME; otherwise the user's.
  std::string user = ::geteuid() == 0 ? "false" : "\"" + current_user() + "\"";
  CHECK(server.get(script).body == "[\"bar baz\",\"from the master\",\"\",false," + user +
                                       ",\"bar baz\",false,\"bar baz||from the master\"]");
}

TEST_CASE("clear_env = no keeps zfpm's environment under env[]") {
  ZfpmServer server({.pool_config = "clear_env = no\nenv[FOO] = bar\nenv[FOO] = second\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "e.php", "<?php echo json_encode([getenv('FOO'), getenv('PATH') === $_SERVER['PATH']]);");

  CHECK(server.get(script).body == "[\"bar\",true]");
}

TEST_CASE("bug75712: getenv() reads the environment and the params, not $_ENV or $_SERVER") {
  ZfpmServer server(
      {.workers = 1, .pool_config = "env[TEST] = test\nphp_value[register_argc_argv] = on\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("g.php", R"(<?php
var_dump(isset(getenv()['argv']));
var_dump(isset(getenv()['SERVER_NAME']));
var_dump(getenv()['TEST']);
var_dump(isset(getenv()['DTEST']));
var_dump(getenv('DTEST'));
putenv('DTEST=dt');
var_dump(getenv()['DTEST']);
var_dump(getenv('DTEST'));

function notcalled()
{
    $_SERVER['argv'];
}
)");

  CHECK(server.get(script).body ==
        "bool(false)\nbool(true)\nstring(4) \"test\"\nbool(false)\nbool(false)\n"
        "string(2) \"dt\"\nstring(2) \"dt\"\n");
}

TEST_CASE("chdir is the process's working directory, scripts still start in their own folder") {
  TempDir elsewhere;
  ZfpmServer server({.pool_config = "chdir = " + elsewhere.path() + "\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("c.php", "<?php echo readlink('/proc/self/cwd'), '|', getcwd();");

  CHECK(server.get(script).body == elsewhere.path() + "|" + server.docroot.path());
}
