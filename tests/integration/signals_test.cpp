// SIGTERM and SIGINT stop zfpm at once and cleanly, as they stop php-fpm.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

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

// A whole GET request for `script`, sent without waiting for its answer.
void send_request(FcgiConnection& connection, const std::string& script) {
  connection.send_raw(
      fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0)) +
      fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script))) +
      fcgi::stream(fcgi::stdin_, 1, ""));
}

// A connection whose request runs `code`, which must flush before it waits: returns once the
// first output has come, so the script is inside PHP then.
FcgiConnection running_request(ZfpmServer& server, const std::string& name,
                               const std::string& code) {
  auto connection = server.connect();
  send_request(connection, server.script(name, code));
  REQUIRE(connection.read_record().type == fcgi::stdout_);
  return connection;
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

// php-fpm's SIGTERM is its fast stop: a child in the middle of a request is killed, the master
// exits at once (0.07 s with a sleep(20) running, measured). zfpm's running scripts are ended at
// their next safe point, the blocking sleep() interrupted, the client's connection closed.
TEST_CASE("SIGTERM with scripts in sleep(20) stops within a second, exit code 0") {
  ZfpmServer server({.workers = 2});
  auto script =
      server.script("sleep.php", "<?php echo 'started'; flush(); sleep(20); echo 'late';");
  std::vector<FcgiConnection> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(server.connect());
    send_request(clients.back(), script);
  }
  for (auto& client : clients) {
    auto record = client.read_record();  // the script flushed: it is in sleep() now
    REQUIRE(record.type == fcgi::stdout_);
  }

  const auto started = std::chrono::steady_clock::now();
  auto status = server.process.stop(SIGTERM);
  const auto took = std::chrono::steady_clock::now() - started;

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
  CHECK(took < 1s);
  for (auto& client : clients) {
    auto rest = client.read_until_close(2s);
    CHECK(rest.closed());
    CHECK(rest.bytes.find("late") == std::string::npos);
  }
  CHECK(server.process.log().find("still busy") == std::string::npos);
  CHECK(group_empties(server.process));
}

// SIGQUIT lets requests finish, but no longer than process_control_timeout: then the ones left
// are ended as SIGTERM ends them, and zfpm exits with 0.
TEST_CASE("SIGQUIT with a script in sleep(20) stops after process_control_timeout") {
  ZfpmServer server({.workers = 2, .global_config = "process_control_timeout = 1s\n"});
  auto client = running_request(server, "sleep.php",
                                "<?php echo 'started'; flush(); sleep(20); echo 'late';");

  const auto started = std::chrono::steady_clock::now();
  auto status = server.process.stop(SIGQUIT);
  const auto took = std::chrono::steady_clock::now() - started;

  INFO("zfpm log:\n", server.process.log());
  CHECK_MESSAGE(status.clean(), status.describe());
  CHECK(took >= 900ms);
  CHECK(took < 3s);
  CHECK(client.read_until_close(2s).closed());
  CHECK(server.process.log().find("still busy") == std::string::npos);
}

// A graceful stop closes the listening socket at once (the master's copy first, then the child's
// once it has taken the clients already queued): a proxy's new connection is refused and goes to
// another upstream, instead of waiting in a queue nobody reads until zfpm exits and resets it,
// after the proxy sent a request it will not send twice (a POST).
TEST_CASE("after SIGQUIT a new client is refused at once, while the running request finishes") {
  ZfpmServer server({.workers = 2, .global_config = "process_control_timeout = 10s\n"});
  auto client = running_request(server, "slow.php",
                                "<?php echo 'started'; flush(); usleep(800000); echo 'done';");

  REQUIRE(::kill(server.process.pid(), SIGQUIT) == 0);
  const auto signalled = std::chrono::steady_clock::now();
  int error = 0;
  bool refused = false;
  while (std::chrono::steady_clock::now() - signalled < 2s) {
    auto probe = try_connect(Address::parse(server.address()), &error);
    if (!probe && error == ECONNREFUSED) {
      refused = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const auto took = std::chrono::steady_clock::now() - signalled;
  INFO("zfpm log:\n", server.process.log());
  CHECK(refused);
  CHECK(took < 500ms);

  auto rest = client.read_until_close(5s);
  CHECK(rest.closed());
  CHECK(rest.bytes.find("done") != std::string::npos);
  auto status = server.process.stop(SIGQUIT);
  CHECK_MESSAGE(status.clean(), status.describe());
}
