// Debian's cgi-fcgi (libfcgi-bin), a FastCGI client zfpm did not write, gets the script's answer.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "process.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* cgi_fcgi = "/usr/bin/cgi-fcgi";

// The CGI environment cgi-fcgi turns into PARAMS: it sends its whole environment.
std::map<std::string, std::string> cgi_environment(const ZfpmServer& server,
                                                   const std::string& script,
                                                   const std::string& method,
                                                   const std::string& query) {
  return {
      {"REQUEST_METHOD", method},
      {"SCRIPT_FILENAME", script},
      {"SCRIPT_NAME", "/" + script.substr(script.rfind('/') + 1)},
      {"QUERY_STRING", query},
      {"REQUEST_URI",
       "/" + script.substr(script.rfind('/') + 1) + (query.empty() ? "" : "?" + query)},
      {"DOCUMENT_ROOT", server.docroot.path()},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"SERVER_NAME", "localhost"},
      {"SERVER_PORT", "80"},
  };
}

}  // namespace

TEST_CASE("cgi-fcgi gets a GET answer from zfpm") {
  REQUIRE_MESSAGE(is_executable(cgi_fcgi), cgi_fcgi,
                  " is missing: install libfcgi-bin (a declared test dependency)");
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("hello.php", "<?php echo 'Hello, ', $_GET['name'] ?? 'World', '! ', PHP_SAPI;");

  auto result = run_command({cgi_fcgi, "-bind", "-connect", server.address()},
                            cgi_environment(server, script, "GET", "name=cgi-fcgi"));

  INFO("cgi-fcgi stderr: ", result.err);
  CHECK(result.status.clean());
  auto response = parse_cgi_response(result.out);
  CHECK(response.status == 200);
  CHECK(response.header("Content-type") == "text/html; charset=UTF-8");
  CHECK(response.body == "Hello, cgi-fcgi! fpm-fcgi");
}

TEST_CASE("cgi-fcgi posts a form body that lands in $_POST") {
  REQUIRE_MESSAGE(is_executable(cgi_fcgi), cgi_fcgi,
                  " is missing: install libfcgi-bin (a declared test dependency)");
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", "<?php echo 'posted ', $_POST['name'] ?? '(nothing)';");
  std::string body = "name=through+cgi-fcgi";
  auto env = cgi_environment(server, script, "POST", "");
  env["CONTENT_TYPE"] = "application/x-www-form-urlencoded";
  env["CONTENT_LENGTH"] = std::to_string(body.size());

  auto result = run_command({cgi_fcgi, "-bind", "-connect", server.address()}, env, body);

  INFO("cgi-fcgi stderr: ", result.err);
  CHECK(result.status.clean());
  CHECK(parse_cgi_response(result.out).body == "posted through cgi-fcgi");
}

TEST_CASE("cgi-fcgi over a Unix socket sees a 404 status set by the script") {
  REQUIRE_MESSAGE(is_executable(cgi_fcgi), cgi_fcgi,
                  " is missing: install libfcgi-bin (a declared test dependency)");
  ZfpmServer server({.listen = {"unix"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("gone.php", "<?php http_response_code(404); echo 'gone';");

  auto result = run_command({cgi_fcgi, "-bind", "-connect", server.address()},
                            cgi_environment(server, script, "GET", ""));

  INFO("cgi-fcgi stderr: ", result.err);
  CHECK(result.status.clean());
  auto response = parse_cgi_response(result.out);
  CHECK(response.status == 404);
  CHECK(response.body == "gone");
}
