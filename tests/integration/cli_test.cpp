// php-fpm's command line on zfpm (docs/running.md): usage and exit codes, -v, -m, -t/-tt, a
// php-fpm symlink, -D with its pid file, the error_log file and SIGUSR1, systemd's NOTIFY_SOCKET.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

#include "fcgi_client.hpp"
#include "process.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::string output_of(const CommandResult& result) { return result.out + result.err; }

// A php-fpm.conf with one pool on a free port, logging to a file in `dir`.
std::string write_config(const TempDir& dir, std::string_view global_lines,
                         std::string_view pool_lines = {}) {
  return dir.write("php-fpm.conf",
                   "[global]\nerror_log = " + dir.file("error.log") + "\n" +
                       std::string(global_lines) + "\n[www]\nlisten = 127.0.0.1:" +
                       std::to_string(free_tcp_port()) +
                       "\npm = static\npm.max_children = 2\n" + std::string(pool_lines));
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("-v names PHP's fpm-fcgi SAPI, the Zend engine, and zfpm") {
  auto result = run_command({zfpm_binary(), "-v"});
  CHECK(result.status.clean());
  CHECK(result.out.starts_with("PHP 8.2."));
  CHECK(result.out.find("(fpm-fcgi) (built: ") != std::string::npos);
  CHECK(result.out.find("\nZend Engine v4.2.") != std::string::npos);
  // zfpm's own version at the end of the first line: php-fpm's three lines stay three.
  CHECK(result.out.substr(0, result.out.find('\n')).find(" (zfpm ") != std::string::npos);
}

TEST_CASE("a bad option or a stray argument prints the usage to stdout and exits 64") {
  for (const auto& bad : {"--memory-limit=1G", "-Z", "stray"}) {
    CAPTURE(bad);
    auto result = run_command({zfpm_binary(), bad});
    CHECK(result.status.exited);
    CHECK(result.status.code == 64);
    CHECK(result.out.starts_with("Usage: zfpm [-n] [-e] [-h] [-i] [-m] [-v] [-t]"));
    CHECK(result.err.empty());
  }
  auto help = run_command({zfpm_binary(), "-h"});
  CHECK(help.status.clean());
  CHECK(help.out.starts_with("Usage: zfpm"));
}

TEST_CASE("-m lists PHP's modules and the Zend modules") {
  auto result = run_command({zfpm_binary(), "-n", "-m"});
  CHECK(result.status.clean());
  CHECK(result.out.starts_with("[PHP Modules]\n"));
  CHECK(result.out.find("\nCore\n") != std::string::npos);
  CHECK(result.out.find("\nzfpm\n") != std::string::npos);
  CHECK(result.out.find("\n[Zend Modules]\n") != std::string::npos);
}

TEST_CASE("-t says the configuration is fine and exits 0, -tt prints it first") {
  TempDir dir;
  auto config = write_config(dir, "log_level = notice");
  auto result = run_command({zfpm_binary(), "-n", "-R", "-t", "-y", config});
  CHECK(result.status.clean());
  CHECK(output_of(result).find("NOTICE: configuration file " + config + " test is successful") !=
        std::string::npos);
  auto dump = run_command({zfpm_binary(), "-n", "-R", "-tt", "-y", config});
  CHECK(dump.status.clean());
  const auto text = output_of(dump);
  CHECK(text.find("NOTICE: [global]") != std::string::npos);
  CHECK(text.find("NOTICE: \tpm.max_children = 2") != std::string::npos);
  CHECK(text.find("test is successful") > text.find("[www]"));
}

TEST_CASE("78 and php-fpm's words: a bad line, a missing user (-t), a root pool without -R (start)") {
  TempDir dir;
  auto bad = write_config(dir, "no_such_directive = 1");
  auto result = run_command({zfpm_binary(), "-n", "-R", "-t", "-y", bad});
  CHECK(result.status.code == 78);
  CHECK(output_of(result).find("unknown entry 'no_such_directive'") != std::string::npos);
  CHECK(output_of(result).find("ERROR: FPM initialization failed") != std::string::npos);

  auto no_user = write_config(dir, "", "user = no-such-user-zfpm\n");
  result = run_command({zfpm_binary(), "-n", "-t", "-y", no_user});
  CHECK(result.status.code == 78);
  CHECK(output_of(result).find("ERROR: [pool www] cannot get uid for user 'no-such-user-zfpm'") !=
        std::string::npos);

  if (::geteuid() == 0) {
    // As php-fpm: -t checks that accounts exist; running a pool as root is refused at start.
    auto as_root = write_config(dir, "");
    result = run_command({zfpm_binary(), "-n", "-F", "-O", "-y", as_root});
    CHECK(result.status.code == 78);
    CHECK(output_of(result).find(
              "ERROR: [pool www] please specify user and group other than root") !=
          std::string::npos);
  }
  result = run_command({zfpm_binary(), "-n", "-t", "-p", dir.file("missing"), "-y", bad});
  CHECK(result.status.code == 78);
  CHECK(output_of(result).find("the global prefix '" + dir.file("missing") +
                               "' does not exist or is not a directory") != std::string::npos);
}

TEST_CASE("a symlink named php-fpm8.2 is zfpm under php-fpm's name") {
  TempDir dir;
  const std::string link = dir.file("php-fpm8.2");
  REQUIRE(::symlink(zfpm_binary().c_str(), link.c_str()) == 0);
  auto usage = run_command({link, "--bogus"});
  CHECK(usage.status.code == 64);
  CHECK(usage.out.starts_with("Usage: php-fpm8.2 [-n]"));
  auto config = write_config(dir, "");
  auto test = run_command({link, "-n", "-R", "-t", "-y", config});
  CHECK(test.status.clean());
}

TEST_CASE("-D: the daemon writes its pid file and logs to error_log, SIGTERM removes the pid file") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  auto config = write_config(dir, "pid = " + dir.file("zfpm.pid"));
  auto result = run_command({zfpm_binary(), "-n", "-R", "-D", "-y", config});
  CHECK(result.status.clean());  // the parent returns once the daemon is ready
  const std::string pid_text = read_file(dir.file("zfpm.pid"));
  const pid_t pid = static_cast<pid_t>(std::atoi(pid_text.c_str()));
  REQUIRE(alive(pid));
  CHECK(::getsid(pid) == pid);  // setsid(): its own session
  const std::string log = read_file(dir.file("error.log"));
  CHECK(log.find("NOTICE: fpm is running, pid " + pid_text) != std::string::npos);
  CHECK(log.find("NOTICE: ready to handle connections") != std::string::npos);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200 && alive(pid); ++i) std::this_thread::sleep_for(50ms);
  CHECK_FALSE(alive(pid));
  CHECK(::access(dir.file("zfpm.pid").c_str(), F_OK) != 0);
  CHECK(read_file(dir.file("error.log")).find("exiting, bye-bye!") != std::string::npos);
}

TEST_CASE("SIGUSR1 reopens the error log and the access log after they were moved") {
  TempDir dir;
  auto config = write_config(dir, "", "access.log = " + dir.file("access.log") + "\n");
  ServerProcess process;
  process.start({zfpm_binary(), "-n", "-R", "-F", "-y", config});  // not -O: to error.log
  const auto ready_in_file = [&] {
    for (int i = 0; i < 200; ++i) {
      if (read_file(dir.file("error.log")).find("ready to handle") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  REQUIRE(ready_in_file());
  REQUIRE(::rename(dir.file("error.log").c_str(), dir.file("error.log.1").c_str()) == 0);
  REQUIRE(::rename(dir.file("access.log").c_str(), dir.file("access.log.1").c_str()) == 0);
  ::kill(process.pid(), SIGUSR1);
  std::string log;
  for (int i = 0; i < 100; ++i) {
    if (::access(dir.file("error.log").c_str(), F_OK) == 0) log = read_file(dir.file("error.log"));
    if (log.find("access log file re-opened") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(log.find("NOTICE: error log file re-opened") != std::string::npos);
  CHECK(log.find("NOTICE: access log file re-opened") != std::string::npos);
  CHECK(::access(dir.file("access.log").c_str(), F_OK) == 0);
  CHECK(process.stop(SIGTERM).clean());
}

TEST_CASE("with NOTIFY_SOCKET set, zfpm tells systemd READY=1 once it accepts") {
  TempDir dir;
  const std::string path = dir.file("notify.sock");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  auto config = write_config(dir, "");
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ServerProcess process;
  process.start({zfpm_binary(), "-n", "-R", "-F", "-O", "-y", config});
  ::unsetenv("NOTIFY_SOCKET");
  char message[256] = {};
  ssize_t n = ::recv(fd, message, sizeof message - 1, 0);
  ::close(fd);
  REQUIRE(n > 0);
  CHECK(std::string(message, static_cast<std::size_t>(n)).starts_with("READY=1\n"));
  CHECK(process.log().find("ready to handle connections") != std::string::npos);
  CHECK(process.stop(SIGTERM).clean());
}

TEST_CASE("log_format = json writes every line as one JSON object") {
  ZfpmServer server({.global_config = "log_format = json\n", .pool_config = "\n"});
  INFO("zfpm log:\n", server.process.log());
  auto line = server.process.wait_for_log_line(
      [](std::string_view l) { return l.find("ready to handle connections") != std::string::npos; },
      5s);
  REQUIRE(line);
  static const std::regex json_line(
      R"re(^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d","level":"NOTICE","pid":\d+,"message":"ready to handle connections"\}$)re");
  CHECK(std::regex_match(*line, json_line));
  // A message with quotes and a backslash stays valid JSON.
  auto script = server.script("say.php", "<?php error_log('a \"quoted\" \\\\ word'); echo 'ok';");
  REQUIRE(server.get(script).body == "ok");
  auto logged = server.process.wait_for_log_line(
      [](std::string_view l) { return l.find("quoted") != std::string::npos; }, 5s);
  REQUIRE(logged);
  CHECK(logged->find(R"(\"quoted\" \\ word)") != std::string::npos);
  CHECK(logged->front() == '{');
  CHECK(logged->back() == '}');
}
