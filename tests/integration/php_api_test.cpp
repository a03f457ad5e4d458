// What scripts see of the server, as under php-fpm: $_SERVER's order, getenv(), getallheaders(),
// fastcgi_finish_request(), PHP messages on FCGI_STDERR, fastcgi.error_header, PHP_VALUE, and the
// per-thread sandboxes for putenv() and setlocale() (opcache_reset(): opcache_reset_test.cpp).
#include <doctest/doctest.h>

#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

TEST_CASE("$_SERVER: params newest first, a repeated one in its first place, then PHP_SELF") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("order.php",
                              "<?php $k = array_keys($_SERVER); $i = array_search('X_A', $k);"
                              " echo implode(',', array_slice($k, $i - 1)), '|', $_SERVER['X_A'];");
  Params params{{"SCRIPT_FILENAME", script},
                {"REQUEST_METHOD", "GET"},
                {"X_A", "1"},
                {"X_B", "2"},
                {"X_A", "3"}};

  auto response = server.connect().request(params);

  CHECK(response.body ==
        "X_B,X_A,REQUEST_METHOD,SCRIPT_FILENAME,FCGI_ROLE,PHP_SELF,REQUEST_TIME_FLOAT,"
        "REQUEST_TIME,argv,argc|3");  // argv, argc: register_argc_argv is on without php.ini
}

TEST_CASE("getenv() asks the params, then the environment, HTTP_PROXY is never a param") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "env.php",
      "<?php var_export([getenv('MY_PARAM'), getenv('PATH') !== false,"
      " getenv('MY_PARAM', true), getenv('HTTP_PROXY'), isset($_SERVER['HTTP_PROXY']),"
      " isset(getenv()['MY_PARAM'])]);");
  auto params = params_for(script, {.headers = {{"Proxy", "http://evil"}}});
  params.emplace_back("MY_PARAM", "v");

  auto response = server.connect().request(params);

  CHECK(response.body ==
        "array (\n  0 => 'v',\n  1 => true,\n  2 => false,\n  3 => false,\n  4 => false,\n"
        "  5 => true,\n)");
}

TEST_CASE("getallheaders() and apache_request_headers() rebuild the HTTP headers") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("headers.php",
                    "<?php $h = getallheaders(); echo $h['X-Custom-Thing'], '|', $h['Host'], '|',"
                    " var_export($h['Content-Type'], true), '|',"
                    " apache_request_headers() === $h ? 'same' : 'differ';");

  auto response = server.connect().request(
      params_for(script, {.headers = {{"X-Custom-Thing", "yes"}, {"Host", "example.test"}}}));

  CHECK(response.body == "yes|example.test|''|same");
}

TEST_CASE("HTTP auth params become PHP_AUTH_USER and PHP_AUTH_PW") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "auth.php", "<?php echo $_SERVER['PHP_AUTH_USER'], ':', $_SERVER['PHP_AUTH_PW'];");

  auto response = server.connect().request(
      params_for(script, {.headers = {{"Authorization", "Basic YWRhOnNlY3JldA=="}}}));

  CHECK(response.body == "ada:secret");
}

TEST_CASE("fastcgi_finish_request(): the response is complete at once, later output dropped") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto flag = server.docroot.file("after.txt");
  auto script = server.script(
      "finish.php",
      "<?php header('X-Before: 1'); echo 'sent'; var_export(fastcgi_finish_request());"
      " echo 'dropped'; flush(); usleep(300000); echo 'still dropped';"
      " var_export(fastcgi_finish_request());"
      " file_put_contents('" +
          flag + "', connection_aborted() ? 'aborted' : 'ran');");
  auto check = server.script("check.php", "<?php echo file_get_contents('" + flag + "');");

  auto started = std::chrono::steady_clock::now();
  auto response = server.get(script);
  auto took = std::chrono::steady_clock::now() - started;
  auto after = server.get(check);  // one worker: runs once finish.php has ended

  CHECK(response.body == "sent");  // var_export(true) came after the end
  CHECK(response.header("X-Before") == "1");
  CHECK(took < 250ms);
  CHECK(after.body == "ran");
}

TEST_CASE("PHP messages go to FCGI_STDERR joined with a semicolon and a space, as php-fpm sends them") {
  ZfpmServer server({.extra_args = {"-d", "log_errors=1", "-d", "display_errors=0"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("warn.php",
                              "<?php trigger_error('first', E_USER_WARNING);"
                              " trigger_error('second', E_USER_NOTICE); echo 'ok';");

  auto response = server.get(script);

  CHECK(response.body == "ok");
  CHECK(response.err == "PHP message: PHP Warning:  first in " + script + " on line 1; " +
                            "PHP message: PHP Notice:  second in " + script + " on line 1");
}

TEST_CASE("a fatal error with display_errors=0 is a 500, fastcgi.error_header replaces it") {
  ZfpmServer plain({.extra_args = {"-d", "display_errors=0"}});
  INFO("zfpm log:\n", plain.process.log());
  auto fatal = "<?php undefined_function();";
  CHECK(plain.get(plain.script("fatal.php", fatal)).status == 500);

  ZfpmServer custom({.extra_args = {"-d", "display_errors=0", "-d",
                                    "fastcgi.error_header=HTTP/1.1 503 Service Unavailable"}});
  auto response = custom.get(custom.script("fatal.php", fatal));
  CHECK(response.status == 503);
}

TEST_CASE("HEAD gets headers only, 304 loses Content-Type, Location alone means 302") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto body = server.script("body.php", "<?php header('X-H: 1'); echo 'body';");
  auto not_modified = server.script("304.php", "<?php http_response_code(304);");
  auto redirect = server.script("loc.php", "<?php header('Location: /x');");

  auto head = server.connect().request(params_for(body, {.method = "HEAD"}));
  auto r304 = server.get(not_modified);
  auto r302 = server.get(redirect);

  CHECK(head.header("X-H") == "1");
  CHECK(head.body.empty());
  CHECK(r304.status == 304);
  CHECK_FALSE(r304.header("Content-Type").has_value());
  CHECK(r302.status == 302);
}

TEST_CASE("PHP_VALUE and PHP_ADMIN_VALUE apply to that request only") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("ini.php",
                              "<?php echo ini_get('memory_limit'), '|', ini_get('precision'), '|',"
                              " var_export(ini_set('precision', '5'), true);");
  auto params = params_for(script);
  params.emplace_back("PHP_VALUE", "memory_limit=64M\nprecision=10");
  params.emplace_back("PHP_ADMIN_VALUE", "precision=11");

  auto with = server.connect().request(params);
  auto without = server.get(script);

  CHECK(with.body == "64M|11|false");  // the admin value wins and is locked
  CHECK(without.body == "128M|14|'14'");
}

TEST_CASE("a PHP_VALUE line that cannot apply is logged and sent on FCGI_STDERR, as php-fpm does") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("ini.php", "<?php echo ini_get('precision');");
  auto params = params_for(script);
  params.emplace_back("PHP_VALUE", "precision=5\nno.such_entry=1");
  params.emplace_back("PHP_ADMIN_VALUE", "[section]\nempty_value");

  auto response = server.connect().request(params);

  CHECK(response.body == "5");
  CHECK(response.err ==
        "Passing INI directive through FastCGI: unable to set 'no.such_entry'; "
        "Passing INI directive through FastCGI: only classic entries are allowed; "
        "Passing INI directive through FastCGI: empty value for key 'empty_value'");
  CHECK(server.process.wait_for_log("unable to set 'no.such_entry'"));
}

TEST_CASE("putenv() and setlocale() stay in their request and thread") {
  ZfpmServer server({.workers = 2});
  INFO("zfpm log:\n", server.process.log());
  auto set =
      server.script("set.php",
                    "<?php putenv('ZFPM_T=' . $_GET['v']); $l = setlocale(LC_ALL, 'C.UTF-8');"
                    " usleep(200000); echo getenv('ZFPM_T'), '|', $l, '|', setlocale(LC_ALL, 0);");
  auto read = server.script("read.php",
                            "<?php var_export(getenv('ZFPM_T')); echo '|', setlocale(LC_ALL, 0);");

  auto before = server.get(read);
  REQUIRE(before.body.starts_with("false|"));
  std::string first;
  std::thread t([&] { first = server.get(set, "v=one").body; });
  std::this_thread::sleep_for(50ms);
  auto during = server.get(read);
  t.join();
  auto after = server.get(read);

  CHECK(first == "one|C.UTF-8|C.UTF-8");
  CHECK(during.body == before.body);
  CHECK(after.body == before.body);
}

TEST_CASE("memory_limit and max_execution_time end the script, and the worker serves on") {
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "display_errors=1"}});
  INFO("zfpm log:\n", server.process.log());
  auto hog = server.script("hog.php",
                           "<?php ini_set('memory_limit', '8M'); $a = [];"
                           " for ($i = 0; $i < 10000000; $i++) $a[] = str_repeat('x', 100);");
  auto spin = server.script("spin.php", "<?php set_time_limit(1); while (true) {}");
  auto ok = server.script("ok.php", "<?php echo 'alive ', ini_get('memory_limit');");

  auto memory = server.get(hog);
  auto time = server.get(spin);
  auto next = server.get(ok);

  CHECK(memory.body.find("Allowed memory size of 8388608 bytes exhausted") != std::string::npos);
  CHECK(time.body.find("Maximum execution time of 1 second exceeded") != std::string::npos);
  CHECK(next.body == "alive 128M");
}
