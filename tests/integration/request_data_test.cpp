// What the web server sent reaches PHP's superglobals, and what the script sets comes back as a
// CGI header block.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

TEST_CASE("a GET query string fills $_GET") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("get.php", "<?php echo json_encode($_GET), ' ', $_SERVER['REQUEST_METHOD'];");

  auto response = server.get(script, "a=1&b=two+words&c[]=x&c[]=y&e=%C3%A9");

  CHECK(response.status == 200);
  CHECK(response.body == R"({"a":"1","b":"two words","c":["x","y"],"e":"\u00e9"} GET)");
}

TEST_CASE("a urlencoded POST body fills $_POST and stays readable from php://input") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("post.php",
                    "<?php echo json_encode($_POST), ' ', file_get_contents('php://input'), ' ',"
                    " $_SERVER['CONTENT_LENGTH'];");
  std::string body = "name=Ada+Lovelace&year=1815";

  auto connection = server.connect();
  auto response =
      connection.request(params_for(script, {.method = "POST",
                                             .content_type = "application/x-www-form-urlencoded",
                                             .content_length = body.size()}),
                         body);

  CHECK(response.status == 200);
  CHECK(response.body == R"({"name":"Ada Lovelace","year":"1815"} name=Ada+Lovelace&year=1815 27)");
}

TEST_CASE("a multipart upload fills $_FILES with the uploaded bytes") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("upload.php",
                    "<?php $f = $_FILES['doc'];\n"
                    "echo $_POST['title'], '|', $f['name'], '|', $f['size'], '|', $f['error'], '|',"
                    " file_get_contents($f['tmp_name']);");
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
      "report\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"doc\"; filename=\"notes.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "line one\nline two\n\r\n"
      "--XyZ--\r\n";

  auto connection = server.connect();
  auto response =
      connection.request(params_for(script, {.method = "POST",
                                             .content_type = "multipart/form-data; boundary=XyZ",
                                             .content_length = body.size()}),
                         body);

  CHECK(response.body == "report|notes.txt|18|0|line one\nline two\n");
}

TEST_CASE("an HTTP_COOKIE param fills $_COOKIE") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("cookie.php", "<?php ksort($_COOKIE); echo json_encode($_COOKIE);");

  auto connection = server.connect();
  auto response = connection.request(
      params_for(script, {.headers = {{"Cookie", "session=abc123; theme=dark"}}}));

  CHECK(response.body == R"({"session":"abc123","theme":"dark"})");
}

TEST_CASE("header() and http_response_code() come back as Status and header lines") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "notfound.php", "<?php header('X-Test: yes'); http_response_code(404); echo 'nothing here';");

  auto response = server.get(script);

  CHECK(response.protocol_status == 0);
  CHECK(response.status == 404);
  CHECK(response.header("Status") == "404 Not Found");
  CHECK(response.header("x-test") == "yes");
  CHECK(response.header("Content-Type") == "text/html; charset=UTF-8");
  CHECK(response.body == "nothing here");
}

TEST_CASE("repeated headers and a redirect keep every line and the 302") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("redirect.php",
                    "<?php setcookie('a', '1'); setcookie('b', '2');"
                    " header('Location: /elsewhere'); header('Content-Type: text/plain');");

  auto response = server.get(script);

  CHECK(response.status == 302);
  CHECK(response.header("Location") == "/elsewhere");
  CHECK(response.header("Content-Type") == "text/plain;charset=UTF-8");
  CHECK(response.headers.count("Set-Cookie") == 2);
  CHECK(response.body.empty());
}

TEST_CASE("$_SERVER carries every param, HTTP_* headers and custom ones alike") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "server.php",
      "<?php foreach (['HTTP_X_FOO', 'HTTP_HOST', 'MY_APP_ENV', 'SCRIPT_NAME', 'REQUEST_URI',"
      " 'QUERY_STRING', 'DOCUMENT_ROOT', 'SERVER_PROTOCOL', 'GATEWAY_INTERFACE', 'REMOTE_ADDR',"
      " 'SERVER_NAME', 'SERVER_PORT'] as $k) echo $k, '=', $_SERVER[$k] ?? '(unset)', \"\\n\";\n"
      "echo 'PHP_SELF=', $_SERVER['PHP_SELF'], \"\\n\";\n"
      "echo 'time=', is_float($_SERVER['REQUEST_TIME_FLOAT']) ? 'float' : 'missing', \"\\n\";");

  auto params = params_for(
      script, {.query = "q=1", .headers = {{"X-Foo", "bar baz"}, {"Host", "example.test"}}});
  params.emplace_back("MY_APP_ENV", "staging");
  auto connection = server.connect();
  auto response = connection.request(params);

  std::string expected = std::string(R"(HTTP_X_FOO=bar baz
HTTP_HOST=example.test
MY_APP_ENV=staging
SCRIPT_NAME=/server.php
REQUEST_URI=/server.php?q=1
QUERY_STRING=q=1
DOCUMENT_ROOT=@ROOT@
SERVER_PROTOCOL=HTTP/1.1
GATEWAY_INTERFACE=CGI/1.1
REMOTE_ADDR=127.0.0.1
SERVER_NAME=localhost
SERVER_PORT=80
PHP_SELF=/server.php
time=float
)");
  expected.replace(expected.find("@ROOT@"), 6, server.docroot.path());
  CHECK(response.body == expected);
}

TEST_CASE(
    "a name-value pair split across two PARAMS records decodes, as the spec's streams allow") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "split_params.php",
      "<?php foreach (['HTTP_X_A' => 'a', 'HTTP_X_B' => 'b', 'HTTP_X_C' => 'c'] as $k => $l)"
      " echo $k, ':', strlen($_SERVER[$k]), ':',"
      " $_SERVER[$k] === str_repeat($l, 3000) ? 'intact' : 'damaged', \"\\n\";"
      " echo $_SERVER['REQUEST_METHOD'], ' ', file_get_contents('php://input');");
  std::string a(3000, 'a'), b(3000, 'b'), c(3000, 'c');

  auto connection = server.connect();
  // 1000-byte records: every long value and several length prefixes straddle two records.
  connection.set_max_record_content(1000);
  std::string body(2500, 'z');
  auto response =
      connection.request(params_for(script, {.method = "POST",
                                             .content_type = "application/octet-stream",
                                             .content_length = body.size(),
                                             .headers = {{"X-A", a}, {"X-B", b}, {"X-C", c}}}),
                         body);

  CHECK(response.body ==
        "HTTP_X_A:3000:intact\nHTTP_X_B:3000:intact\nHTTP_X_C:3000:intact\nPOST " + body);
}

TEST_CASE("params close to nginx's 64 KiB record limit arrive whole") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "big_params.php",
      "<?php echo strlen($_SERVER['HTTP_COOKIE']), ' ', count($_COOKIE), ' ', $_COOKIE['k199'];");
  // nginx sends all params in one record and refuses more than 65535 bytes; 200 cookies of
  // ~306 bytes come close to that.
  std::string cookie;
  for (int i = 0; i < 200; ++i) {
    if (i) cookie += "; ";
    cookie += "k" + std::to_string(i) + "=" + std::string(300, static_cast<char>('a' + i % 26));
  }
  REQUIRE(cookie.size() > 60000);
  REQUIRE(cookie.size() < 64000);

  auto connection = server.connect();
  auto response = connection.request(params_for(script, {.headers = {{"Cookie", cookie}}}));

  CHECK(response.body == std::to_string(cookie.size()) + " 200 " +
                             std::string(300, static_cast<char>('a' + 199 % 26)));
}
