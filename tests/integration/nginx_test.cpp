// nginx, configured the way its docs and Debian's fastcgi_params suggest, serves PHP through zfpm.
#include "nginx.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "process.hpp"
#include "sha256.hpp"
#include "socket.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* hello_php = "<?php echo 'Hello, ', $_GET['name'] ?? 'World', '!';";

NginxOptions in_front_of(const ZfpmServer& zfpm, bool keep_conn) {
  return {.root = zfpm.docroot.path(), .fastcgi_pass = zfpm.address(), .keep_conn = keep_conn};
}

// Server-side sockets of established connections to `port`, from /proc/net/tcp.
int established_connections_to(int port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  int count = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port && state == "01") ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("nginx in front of zfpm serves hello.php") {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm;
  zfpm.script("hello.php", hello_php);
  Nginx nginx(in_front_of(zfpm, false));
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());

  auto plain = http_get(nginx.address(), "/hello.php");
  CHECK(plain.status == 200);
  CHECK(plain.header("Content-Type") == "text/html; charset=UTF-8");
  CHECK(plain.body == "Hello, World!");

  auto named = http_get(nginx.address(), "/hello.php?name=nginx");
  CHECK(named.body == "Hello, nginx!");
}

TEST_CASE("nginx passes a script's 404 and headers through zfpm") {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm;
  zfpm.script("gone.php", "<?php header('X-Test: yes'); http_response_code(404); echo 'gone';");
  Nginx nginx(in_front_of(zfpm, false));
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());

  auto response = http_get(nginx.address(), "/gone.php");

  CHECK(response.status == 404);
  CHECK(response.header("X-Test") == "yes");
  CHECK(response.body == "gone");
}

TEST_CASE("nginx with fastcgi_keep_conn reuses its zfpm connection for 20 requests") {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm;
  zfpm.script("hello.php", hello_php);
  Nginx nginx(in_front_of(zfpm, true));
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());

  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    auto response = http_get(nginx.address(), "/hello.php?name=" + std::to_string(i));
    CHECK(response.status == 200);
    CHECK(response.body == "Hello, " + std::to_string(i) + "!");
  }

  // Sequential requests through a keepalive upstream: nginx holds one idle connection to zfpm,
  // which zfpm must not have closed (it would be gone from ESTABLISHED).
  int zfpm_port = Address::parse(zfpm.address()).port;
  int open_connections = established_connections_to(zfpm_port);
  CHECK(open_connections >= 1);
  CHECK(open_connections <= 2);
  CHECK(nginx.error_log().find("upstream prematurely closed") == std::string::npos);
}

// nginx's client_body_in_file_only trick: nginx writes each body to a file, sends its name as
// REQUEST_BODY_FILE and no STDIN; PHP must see the body as if it had come on STDIN.
TEST_CASE("nginx with client_body_in_file_only: $_POST, php://input and uploads arrive intact") {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm;
  zfpm.script("body.php", R"(<?php
$f = $_FILES['upload'] ?? null;
echo json_encode($_POST), "\n", hash('sha256', file_get_contents('php://input')), "\n",
  $f ? "{$f['name']} {$f['size']} {$f['error']} " . hash_file('sha256', $f['tmp_name']) : '-',
  "\n", is_file($_SERVER['REQUEST_BODY_FILE'] ?? '') ? 'from file' : 'no file';
)");
  NginxOptions options = in_front_of(zfpm, false);
  options.php_location =
      "client_body_in_file_only on;\n"
      "      client_max_body_size 16m;\n"
      "      fastcgi_pass_request_body off;\n"
      "      fastcgi_param REQUEST_BODY_FILE $request_body_file;";
  Nginx nginx(options);
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());

  const std::string form = "name=z%C3%BCrich&list%5B%5D=1&list%5B%5D=2";
  auto posted = http_request(nginx.address(),
                             {.method = "POST",
                              .target = "/body.php",
                              .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                              .body = form});
  CHECK(posted.status == 200);
  CHECK(posted.body == "{\"name\":\"z\\u00fcrich\",\"list\":[\"1\",\"2\"]}\n" + sha256_hex(form) +
                           "\n-\nfrom file");

  std::string binary(3 << 20, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) >> 3);
  auto raw = http_request(nginx.address(),
                          {.method = "PUT",
                           .target = "/body.php",
                           .headers = {{"Content-Type", "application/octet-stream"}},
                           .body = binary},
                          30s);
  CHECK(raw.status == 200);
  CHECK(raw.body == "[]\n" + sha256_hex(binary) + "\n-\nfrom file");

  const std::string boundary = "zfpm-boundary-7d1";
  const std::string upload = binary.substr(0, 1 << 20);
  const std::string multipart = "--" + boundary +
                                "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                                "--" +
                                boundary +
                                "\r\nContent-Disposition: form-data; name=\"upload\"; "
                                "filename=\"data.bin\"\r\nContent-Type: application/octet-stream"
                                "\r\n\r\n" +
                                upload + "\r\n--" + boundary + "--\r\n";
  auto uploaded =
      http_request(nginx.address(),
                   {.method = "POST",
                    .target = "/body.php",
                    .headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}},
                    .body = multipart},
                   30s);
  CHECK(uploaded.status == 200);
  // php://input is empty for multipart/form-data, as under php-fpm.
  CHECK(uploaded.body == "{\"note\":\"hello\"}\n" + sha256_hex("") + "\ndata.bin " +
                             std::to_string(upload.size()) + " 0 " + sha256_hex(upload) +
                             "\nfrom file");
  CHECK(zfpm.process.log().find("PHP message") == std::string::npos);
}

// The issue's upload through a real web server: several files, one over 10 MiB, each file's
// SHA-256 computed by the script from its temp file and compared with the bytes sent.
TEST_CASE("nginx: a multipart upload of several files, one over 10 MiB, arrives byte for byte") {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm({.extra_args = {"-d", "upload_max_filesize=32M", "-d", "post_max_size=64M"}});
  zfpm.script("files.php", R"(<?php
foreach ($_FILES as $field => $f) {
  echo $field, ' ', $f['name'], ' ', $f['size'], ' ', $f['error'], ' ',
    $f['error'] === 0 ? hash_file('sha256', $f['tmp_name']) : '-', "\n";
}
echo json_encode($_POST);
)");
  NginxOptions options = in_front_of(zfpm, true);
  options.php_location = "client_max_body_size 64m;";
  Nginx nginx(options);
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());

  const std::string boundary = "zfpm-files-4b2";
  std::vector<std::pair<std::string, std::string>> files;
  for (std::size_t size : {std::size_t{11} << 20, std::size_t{300'000}, std::size_t{1}}) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    files.emplace_back("f" + std::to_string(files.size()) + ".bin", std::move(bytes));
  }
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nthree files\r\n";
  for (std::size_t i = 0; i < files.size(); ++i) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file" +
            std::to_string(i) + "\"; filename=\"" + files[i].first +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + files[i].second + "\r\n";
  }
  body += "--" + boundary + "--\r\n";

  auto response =
      http_request(nginx.address(),
                   {.method = "POST",
                    .target = "/files.php",
                    .headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}},
                    .body = body},
                   60s);

  std::string expected;
  for (std::size_t i = 0; i < files.size(); ++i) {
    expected += "file" + std::to_string(i) + " " + files[i].first + " " +
                std::to_string(files[i].second.size()) + " 0 " + sha256_hex(files[i].second) +
                "\n";
  }
  expected += "{\"title\":\"three files\"}";
  CHECK(response.status == 200);
  CHECK(response.body == expected);
}
