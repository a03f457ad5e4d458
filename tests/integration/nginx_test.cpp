// nginx, configured the way its docs and Debian's fastcgi_params suggest, serves PHP through zfpm.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "http_client.hpp"
#include "process.hpp"
#include "socket.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* nginx_binary = "/usr/sbin/nginx";
constexpr const char* hello_php = "<?php echo 'Hello, ', $_GET['name'] ?? 'World', '!';";

// Debian's fastcgi_params plus SCRIPT_FILENAME, as nginx's docs configure PHP. Every path nginx
// writes to is inside its prefix directory.
constexpr const char* nginx_conf_template = R"(daemon off;
master_process off;
worker_processes 1;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/logs/error.log info;
events { worker_connections 64; }
http {
  access_log @PREFIX@/logs/access.log;
  client_body_temp_path @PREFIX@/client_body;
  proxy_temp_path @PREFIX@/proxy;
  fastcgi_temp_path @PREFIX@/fastcgi;
  uwsgi_temp_path @PREFIX@/uwsgi;
  scgi_temp_path @PREFIX@/scgi;
  @UPSTREAM@
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    location ~ \.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_pass @PASS@;
      @KEEP_CONN@
    }
  }
}
)";

std::string replace_all(std::string text, std::string_view placeholder, std::string_view value) {
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

// nginx in the foreground as one process, stopped by pid when the test ends.
class Nginx {
 public:
  Nginx(const ZfpmServer& zfpm, bool keep_conn) : port_(free_tcp_port()) {
    std::string conf = nginx_conf_template;
    conf = replace_all(conf, "@PREFIX@", prefix_.path());
    conf = replace_all(conf, "@PORT@", std::to_string(port_));
    conf = replace_all(conf, "@ROOT@", zfpm.docroot.path());
    conf = replace_all(
        conf, "@UPSTREAM@",
        keep_conn ? "upstream zfpm { server " + zfpm.address() + "; keepalive 2; }" : "");
    conf = replace_all(conf, "@PASS@", keep_conn ? "zfpm" : zfpm.address());
    conf = replace_all(conf, "@KEEP_CONN@", keep_conn ? "fastcgi_keep_conn on;" : "");
    prefix_.make_dir("logs");
    std::string conf_path = prefix_.write("nginx.conf", conf);
    process_.start({nginx_binary, "-p", prefix_.path() + "/", "-c", conf_path, "-e",
                    prefix_.file("logs/error.log")});
    process_.wait_until_connectable(address());
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string error_log() const {
    return read_file(prefix_.file("logs/error.log")) + process_.log();
  }

 private:
  TempDir prefix_;
  int port_;
  ServerProcess process_;
};

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
  Nginx nginx(zfpm, false);
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
  Nginx nginx(zfpm, false);
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
  Nginx nginx(zfpm, true);
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
