// SIGTERM and SIGINT stop zfpm at once and cleanly, as they stop php-fpm.
#include <doctest/doctest.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// Processes forked by zfpm may take a moment to go after the master; none may stay.
bool group_empties(ServerProcess& process) {
  for (int i = 0; i < 100; ++i) {
    if (process.group_members().empty()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("SIGTERM stops zfpm with exit code 0 and 'exiting, bye-bye!'") {
  ZfpmServer server;
  auto script = server.script("hello.php", "<?php echo 'hello';");
  CHECK(server.get(script).body == "hello");

  auto status = server.process.stop(SIGTERM);

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
  CHECK(server.process.log().find("exiting, bye-bye!") != std::string::npos);
  CHECK(group_empties(server.process));
}

TEST_CASE("SIGINT stops zfpm the same way") {
  ZfpmServer server;
  auto script = server.script("hello.php", "<?php echo 'hello';");
  CHECK(server.get(script).body == "hello");

  auto status = server.process.stop(SIGINT);

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
  CHECK(server.process.log().find("exiting") != std::string::npos);
}

TEST_CASE("SIGTERM as soon as the port accepts connections still exits cleanly") {
  // php-fpm installs its signal handlers before it binds (fpm_init: fpm_signals_init_main comes
  // before fpm_sockets_init_main), so a supervisor may stop it the moment it is reachable.
  ZfpmServer server({.workers = 8, .wait_until_ready = false});

  auto status = server.process.stop(SIGTERM);

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
}

TEST_CASE("an idle keep-alive connection does not hold up SIGTERM") {
  ZfpmServer server({.workers = 2});
  auto script = server.script("hello.php", "<?php echo 'hello';");
  auto connection = server.connect();
  CHECK(connection.request(params_for(script), {}, true).body == "hello");

  auto started = std::chrono::steady_clock::now();
  auto status = server.process.stop(SIGTERM);
  auto took = std::chrono::steady_clock::now() - started;

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
  CHECK(took < 5s);
  CHECK(connection.read_until_close(2s).closed());
}

TEST_CASE("after SIGTERM the port no longer accepts connections") {
  ZfpmServer server;
  REQUIRE(server.process.stop(SIGTERM).exited);

  int error = 0;
  CHECK_FALSE(try_connect(Address::parse(server.address()), &error).has_value());
}

TEST_CASE("after SIGTERM the Unix socket file is removed") {
  ZfpmServer server({.listen = {"unix"}});
  REQUIRE(server.process.stop(SIGTERM).exited);

  INFO("zfpm log:\n", server.process.log());
  CHECK(::access(server.address().c_str(), F_OK) != 0);
}
