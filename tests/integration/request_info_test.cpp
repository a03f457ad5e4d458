// php-fpm's init_request_info through a real zfpm: PATH_INFO, ORIG_*, cgi.* INI entries, and the
// 404/403 answers with php-fpm's bodies and log lines.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {
constexpr const char* paths_php =
    "<?php foreach (['SCRIPT_FILENAME', 'SCRIPT_NAME', 'PATH_INFO', 'PATH_TRANSLATED',"
    " 'ORIG_SCRIPT_FILENAME', 'ORIG_PATH_INFO', 'PHP_SELF'] as $k)"
    " echo $k, '=', $_SERVER[$k] ?? '(unset)', \"\\n\";";

}  // namespace

TEST_CASE("a path after the script becomes PATH_INFO, as cgi.fix_pathinfo=1 does") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("paths.php", paths_php);
  auto params = params_for(script);
  set_param(params, "SCRIPT_FILENAME", script + "/extra/bit");
  set_param(params, "PATH_INFO", "/paths.php/extra/bit");

  auto response = server.connect().request(params);

  const std::string root = server.docroot.path();
  CHECK(response.status == 200);
  CHECK(response.body == "SCRIPT_FILENAME=" + script + "\nSCRIPT_NAME=/paths.php\n" +
                             "PATH_INFO=/extra/bit\nPATH_TRANSLATED=" + root + "/extra/bit\n" +
                             "ORIG_SCRIPT_FILENAME=" + script + "/extra/bit\n" +
                             "ORIG_PATH_INFO=/paths.php/extra/bit\n" +
                             "PHP_SELF=/paths.php/extra/bit\n");
}

TEST_CASE("with -d cgi.fix_pathinfo=0 nothing is searched and ini_get sees the entry") {
  ZfpmServer server({.extra_args = {"-d", "cgi.fix_pathinfo=0"}});
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("ini.php",
                    "<?php echo ini_get('cgi.fix_pathinfo'), '|', ini_get('fastcgi.logging'), '|',"
                    " var_export(ini_get('cgi.nph'), true), '|', $_SERVER['PHP_SELF'];");
  auto missing = server.script("other.php", "<?php echo 'never';");
  auto params = params_for(script);
  set_param(params, "PATH_INFO", "/tail");

  auto response = server.connect().request(params);
  auto params_missing = params_for(missing);
  set_param(params_missing, "SCRIPT_FILENAME", missing + "/tail.php");
  auto not_found = server.connect().request(params_missing);

  CHECK(response.body == "0|1|'0'|/tail");
  // Not stripped back to other.php: opening fails, php-fpm's other 404.
  CHECK(not_found.status == 404);
  CHECK(not_found.body == "No input file specified.\n");
  CHECK(not_found.err.starts_with("Unable to open primary script: " + missing + "/tail.php ("));
}

TEST_CASE("a missing script is php-fpm's 404 with 'Primary script unknown' on stderr") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());

  auto response = server.get(server.docroot.file("absent.php"));

  CHECK(response.status == 404);
  CHECK(response.header("Status") == "404 Not Found");
  CHECK(response.body == "File not found.\n");
  CHECK(response.err == "Primary script unknown");
}

TEST_CASE("a path with a .. segment is refused with 404") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("dots.php", "<?php echo 'ran';");
  auto params = params_for(script);
  std::string root = server.docroot.path();
  set_param(params, "SCRIPT_FILENAME",
            root + "/../" + root.substr(root.rfind('/') + 1) + "/dots.php");

  auto response = server.connect().request(params);

  CHECK(response.status == 404);
  CHECK(response.body == "File not found.\n");
}

TEST_CASE("security.limit_extensions: other files get 403 'Access denied.' and a log line") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto text = server.script("notes.txt", "<?php echo 'should not run';");

  auto response = server.get(text);

  CHECK(response.status == 403);
  CHECK(response.body == "Access denied.\n");
  std::string line =
      "Access to the script '" + text + "' has been denied (see security.limit_extensions)";
  CHECK(response.err == line);
  CHECK(server.process.wait_for_log(line, 5s).has_value());
}

TEST_CASE("--security-limit-extensions '' lets any file run, a list replaces the default") {
  ZfpmServer any({.extra_args = {"--security-limit-extensions", ""}});
  INFO("zfpm log:\n", any.process.log());
  CHECK(any.get(any.script("page.txt", "<?php echo 'ran';")).body == "ran");

  ZfpmServer only_inc({.extra_args = {"--security-limit-extensions", ".inc"}});
  CHECK(only_inc.get(only_inc.script("page.inc", "<?php echo 'ran';")).body == "ran");
  CHECK(only_inc.get(only_inc.script("page.php", "<?php echo 'ran';")).status == 403);
}
