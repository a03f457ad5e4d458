// zfpm answers FastCGI requests with what the PHP script computed, on every kind of listen
// address, and says it is ready the way php-fpm does.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "socket.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {
constexpr const char* identity_php =
    "<?php echo PHP_SAPI, ' ', ZEND_THREAD_SAFE ? 'zts' : 'nts', ' ', 6*7;";
}

TEST_CASE("a PHP script requested over TCP answers with what it computed") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("identity.php", identity_php);

  auto response = server.get(script);

  CHECK(response.protocol_status == 0);  // FCGI_REQUEST_COMPLETE
  CHECK(response.app_status == 0);
  CHECK(response.has_header_block);
  CHECK(response.status == 200);
  CHECK(response.header("Content-type") == "text/html; charset=UTF-8");
  CHECK(response.body == "fpm-fcgi zts 42");
  CHECK_MESSAGE(response.err.empty(), "FCGI_STDERR: ", response.err);
}

TEST_CASE("zfpm logs 'ready to handle connections' once it listens") {
  ZfpmServer server;
  auto line = server.process.wait_for_log("ready to handle connections");
  REQUIRE_MESSAGE(line.has_value(), "zfpm log:\n", server.process.log());
  CHECK(line->find("NOTICE") != std::string::npos);
}

#ifdef ZFPM_SANITIZER_BUILD
constexpr bool kSanitizerBuild = true;  // no opcache under ASan: see CMakeLists.txt
#else
constexpr bool kSanitizerBuild = false;
#endif

TEST_CASE("opcache is loaded and enabled" * doctest::skip(kSanitizerBuild)) {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("opcache.php",
                    "<?php echo function_exists('opcache_get_status')"
                    " ? var_export(opcache_get_status(false)['opcache_enabled'] ?? false, true)"
                    " : 'opcache not loaded';");

  auto response = server.get(script);

  CHECK(response.status == 200);
  CHECK(response.body == "true");
}

TEST_CASE("a -d option sets an ini value every request sees") {
  ZfpmServer server({.extra_args = {"-d", "memory_limit=77M", "-d", "default_charset=ISO-8859-1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "ini.php", "<?php echo ini_get('memory_limit'), ' ', ini_get('default_charset');");

  auto response = server.get(script);

  CHECK(response.body == "77M ISO-8859-1");
  CHECK(response.header("Content-type") == "text/html; charset=ISO-8859-1");
}

TEST_CASE("a PHP script requested over a Unix socket answers") {
  ZfpmServer server({.listen = {"unix"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("identity.php", identity_php);

  auto response = server.get(script);

  CHECK(server.address().front() == '/');
  CHECK(response.status == 200);
  CHECK(response.body == "fpm-fcgi zts 42");
}

TEST_CASE("one zfpm answers on a TCP port and a Unix socket at once") {
  ZfpmServer server({.listen = {"tcp", "unix"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("identity.php", identity_php);

  for (const auto& address : server.addresses) {
    CAPTURE(address);
    auto connection = FcgiConnection::open(address);
    auto response = connection.request(params_for(script));
    CHECK(response.body == "fpm-fcgi zts 42");
  }
}

TEST_CASE("a PHP script requested over IPv6 loopback answers") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: this host cannot bind [::1]");
    return;
  }
  ZfpmServer server({.listen = {"[::1]:" + std::to_string(free_tcp_port())}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("identity.php", identity_php);

  CHECK(server.get(script).body == "fpm-fcgi zts 42");
}

TEST_CASE("a bare port number listens on loopback") {
  int port = free_tcp_port();
  ZfpmServer server({.listen = {std::to_string(port)}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("identity.php", identity_php);

  auto connection = FcgiConnection::open("127.0.0.1:" + std::to_string(port));
  CHECK(connection.request(params_for(script)).body == "fpm-fcgi zts 42");
}

TEST_CASE("without SCRIPT_FILENAME the script is PATH_TRANSLATED, else --root plus SCRIPT_NAME") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto first = server.script("first.php", "<?php echo 'first';");
  server.script("sub/second.php", "<?php echo 'second';");

  SUBCASE("PATH_TRANSLATED") {
    auto connection = server.connect();
    auto response = connection.request(
        {{"REQUEST_METHOD", "GET"}, {"PATH_TRANSLATED", first}, {"SCRIPT_NAME", "/x.php"}});
    CHECK(response.body == "first");
  }
  SUBCASE("--root and SCRIPT_NAME") {
    auto connection = server.connect();
    auto response =
        connection.request({{"REQUEST_METHOD", "GET"}, {"SCRIPT_NAME", "/sub/second.php"}});
    CHECK(response.body == "second");
  }
}

TEST_CASE("a script that does not exist is a 404, as php-fpm answers it") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());

  auto response = server.get(server.docroot.file("missing.php"));

  CHECK(response.protocol_status == 0);
  CHECK(response.status == 404);
}

TEST_CASE("a request leaves nothing behind for the next one on the same worker") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  // A function declared twice in one PHP request context is a fatal error; a global would count up.
  auto script =
      server.script("state.php",
                    "<?php function declared_once() { return 1; }\n"
                    "$GLOBALS['counter'] = ($GLOBALS['counter'] ?? 0) + declared_once();\n"
                    "echo $GLOBALS['counter'];");

  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(server.get(script).body == "1");
  }
}

TEST_CASE("a script runs in its own folder, like php-fpm chdirs to it") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto a = server.script("a/cwd.php", "<?php echo getcwd();");
  auto b = server.script("b/cwd.php", "<?php echo getcwd();");

  // One worker: the second request runs on the thread whose cwd the first one set.
  CHECK(server.get(a).body == server.docroot.file("a"));
  CHECK(server.get(b).body == server.docroot.file("b"));
  CHECK(server.get(a).body == server.docroot.file("a"));
}

TEST_CASE("END_REQUEST carries the script's exit status") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto exits = server.script("exit3.php", "<?php echo 'bye'; exit(3);");
  auto fatal = server.script("fatal.php", "<?php undefined_function();");

  auto response = server.get(exits);
  CHECK(response.body == "bye");
  CHECK(response.app_status == 3);
  CHECK(response.protocol_status == 0);

  CHECK(server.get(fatal).app_status == 255);
  // The same worker goes on with status 0 for a script that ends normally.
  CHECK(server.get(server.script("ok.php", "<?php echo 'ok';")).app_status == 0);
}
