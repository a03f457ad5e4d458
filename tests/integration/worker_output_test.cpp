// What scripts write to stdout and stderr (docs/process-model.md): /dev/null by default as in
// php-fpm, the log with catch_workers_output (decorated, or raw lines with
// decorate_workers_output = no), whole lines even when many threads write at once.
#include <doctest/doctest.h>

#include <future>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* say_php =
    "<?php file_put_contents('php://stderr', \"err line \" . ($_GET['n'] ?? 0) . \"\\n\");"
    " file_put_contents('php://stdout', \"out line\\n\"); echo 'ok';";

}  // namespace

TEST_CASE("without catch_workers_output a script's stderr goes nowhere, as in php-fpm") {
  ZfpmServer server({.pool_config = "catch_workers_output = no\n"});
  INFO("zfpm log:\n", server.process.log());
  REQUIRE(server.get(server.script("say.php", say_php)).body == "ok");
  std::this_thread::sleep_for(200ms);
  CHECK(server.process.log().find("err line") == std::string::npos);
}

TEST_CASE("catch_workers_output logs each line as php-fpm decorates it") {
  ZfpmServer server({.workers = 4, .pool_config = "catch_workers_output = yes\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("say.php", say_php);
  const std::string child = std::to_string(server.pool_pid());
  REQUIRE(server.get(script, "n=1").body == "ok");
  CHECK(server.process.wait_for_log("WARNING: [pool www] child " + child +
                                    " said into stderr: \"err line 1\"", 5s));
  CHECK(server.process.wait_for_log("WARNING: [pool www] child " + child +
                                    " said into stdout: \"out line\"", 5s));
  // 40 requests on 4 threads: every line arrives whole.
  std::vector<std::future<std::string>> requests;
  for (int i = 0; i < 40; ++i) {
    requests.push_back(std::async(std::launch::async, [&server, &script, i] {
      return server.get(script, "n=" + std::to_string(100 + i)).body;
    }));
  }
  for (auto& request : requests) CHECK(request.get() == "ok");
  for (int i = 0; i < 40; ++i) {
    CHECK(server.process.wait_for_log("said into stderr: \"err line " + std::to_string(100 + i) +
                                      "\"", 5s));
  }
}

TEST_CASE("decorate_workers_output = no logs the script's lines as they are") {
  ZfpmServer server({.pool_config = "catch_workers_output = yes\ndecorate_workers_output = no\n"});
  INFO("zfpm log:\n", server.process.log());
  REQUIRE(server.get(server.script("say.php", say_php), "n=7").body == "ok");
  auto line = server.process.wait_for_log_line(
      [](std::string_view l) { return l.find("err line 7") != std::string::npos; }, 5s);
  REQUIRE(line);
  CHECK(*line == "err line 7");
}

// The official php:*-fpm image's pool: access.log = /proc/self/fd/2 beside catch_workers_output.
// The access log is the process's stderr, as php-fpm's master opens it: its lines are not caught
// as a script's output, and SIGQUIT ends the child once its requests are answered, not after
// process_control_timeout.
TEST_CASE("access.log on /proc/self/fd/2 with catch_workers_output: plain lines, a prompt stop") {
  ZfpmServer server({.global_config = "process_control_timeout = 20s\n",
                     .pool_config = "catch_workers_output = yes\naccess.log = /proc/self/fd/2\n"});
  INFO("zfpm log:\n", server.process.log());
  REQUIRE(server.get(server.script("say.php", say_php), "n=3").body == "ok");
  auto access = server.process.wait_for_log_line(
      [](std::string_view l) { return l.find("\"GET /say.php") != std::string::npos; }, 5s);
  REQUIRE(access);
  CHECK(access->find("said into") == std::string::npos);
  CHECK(server.process.wait_for_log("said into stderr: \"err line 3\"", 5s));
  const auto started = std::chrono::steady_clock::now();
  auto status = server.process.stop(SIGQUIT, 30s);
  CHECK(status.exited);
  CHECK(status.code == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(server.process.log().find("exited on signal") == std::string::npos);
}
