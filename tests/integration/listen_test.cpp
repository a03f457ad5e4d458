// php-fpm's listen.* semantics: backlog, Unix socket owner/group/mode, a stale socket replaced
// and a live one refused, and allowed_clients with php-fpm's log line.
#include <doctest/doctest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* echo_php = "<?php echo 'ok';";

mode_t socket_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  return st.st_mode & 07777;
}

// A socket file nobody listens on, as a crashed server leaves behind.
void make_stale_socket(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
}

}  // namespace

TEST_CASE("a Unix socket gets listen.mode 0660 by default and --listen-mode when given") {
  {
    ZfpmServer server({.listen = {"unix"}});
    INFO("zfpm log:\n", server.process.log());
    CHECK(socket_mode(server.address()) == 0660);
  }
  ZfpmServer server({.listen = {"unix"}, .extra_args = {"--listen-mode", "0600"}});
  INFO("zfpm log:\n", server.process.log());
  CHECK(socket_mode(server.address()) == 0600);
  auto script = server.script("echo.php", echo_php);
  CHECK(server.get(script).body == "ok");
}

TEST_CASE("--listen-owner and --listen-group set the socket's owner (as root)") {
  if (::geteuid() != 0) return;  // chown needs root; php-fpm's own rule
  const passwd* nobody = ::getpwnam("nobody");
  const group* nogroup = ::getgrnam("nogroup");
  if (!nobody || !nogroup) return;
  ZfpmServer server({.listen = {"unix"},
                     .extra_args = {"--listen-owner", "nobody", "--listen-group", "nogroup"}});
  INFO("zfpm log:\n", server.process.log());
  struct stat st {};
  REQUIRE(::stat(server.address().c_str(), &st) == 0);
  CHECK(st.st_uid == nobody->pw_uid);
  CHECK(st.st_gid == nogroup->gr_gid);
}

TEST_CASE("an unknown --listen-owner fails startup with php-fpm's message") {
  TempDir dir;
  auto result = run_command(
      {zfpm_binary(), "-n", "--listen", dir.file("a.sock"), "--listen-owner", "no-such-user-zfpm"},
      std::nullopt, {}, 20s);
  CHECK(result.status.exited);
  CHECK(result.status.code == 78);
  CHECK(result.err.find("cannot get uid for user 'no-such-user-zfpm'") != std::string::npos);
}

TEST_CASE("a stale socket file is replaced, a live one makes a second zfpm refuse to start") {
  TempDir dir;
  const std::string path = dir.file("zfpm.sock");
  make_stale_socket(path);
  ZfpmServer server({.listen = {path}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  CHECK(server.get(script).body == "ok");

  auto second = run_command({zfpm_binary(), "-n", "--listen", path}, std::nullopt, {}, 20s);
  CHECK(second.status.code == 78);
  CHECK(second.err.find("An another FPM instance seems to already listen on " + path) !=
        std::string::npos);
  CHECK(server.get(script).body == "ok");  // the first one's socket is untouched
}

TEST_CASE("--listen-backlog sets the listen queue's length") {
  ZfpmServer server({.extra_args = {"--listen-backlog", "7"}});
  INFO("zfpm log:\n", server.process.log());
  const std::string port = server.address().substr(server.address().rfind(':') + 1);
  auto ss = run_command({"/usr/bin/ss", "-ltnH", "sport = :" + port}, std::nullopt, {}, 10s);
  REQUIRE(ss.status.clean());
  // ss shows a listening socket's backlog as its Send-Q: "LISTEN 0 7 127.0.0.1:port ...".
  CHECK(ss.out.find("LISTEN 0      7 ") != std::string::npos);
  CAPTURE(ss.out);
}

TEST_CASE("listen.allowed_clients: 127.0.0.1 refused when only 127.0.0.2 is allowed") {
  ZfpmServer server({.extra_args = {"--listen-allowed-clients", "127.0.0.2"}});
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.connect();
  auto answer = connection.read_until_close(5s);
  CHECK(answer.closed());
  CHECK(answer.bytes.empty());
  CHECK(server.process.wait_for_log(
      "ERROR: Connection disallowed: IP address '127.0.0.1' has been dropped.", 2s));
  CHECK(server.process.running());
}

TEST_CASE("listen.allowed_clients lets listed clients in, IPv4-mapped on a dual-stack socket too") {
  const std::string port = std::to_string(free_tcp_port());
  ZfpmServer server({.listen = {port},  // every address: [::] dual-stack where possible
                     .extra_args = {"--listen-allowed-clients", "10.1.2.3,127.0.0.1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  CHECK(server.get(script).body == "ok");
  CHECK(server.process.log().find("disallowed") == std::string::npos);
}

TEST_CASE("an empty listen.allowed_clients lets nobody in, as php-fpm") {
  ZfpmServer server({.extra_args = {"--listen-allowed-clients="}});
  INFO("zfpm log:\n", server.process.log());
  CHECK(server.process.wait_for_log("There are no allowed addresses", 2s));
  auto connection = server.connect();
  CHECK(connection.read_until_close(5s).closed());
  CHECK(server.process.wait_for_log("Connection disallowed: IP address '127.0.0.1'", 2s));
}
