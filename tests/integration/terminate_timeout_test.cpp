// request_terminate_timeout without killing anything: the running script gets PHP's fatal error
// on its own worker thread, the response ends, and that same thread serves the next request.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* tid_php = "<?php echo 'tid ', zfpm_worker_info()['tid'];";

// "tid 1234" at the start of a body, as the scripts below print it.
std::string tid_of(const std::string& body) {
  auto end = body.find_first_not_of("0123456789", 4);
  return body.rfind("tid ", 0) == 0 ? body.substr(4, end == std::string::npos ? end : end - 4) : "";
}

// PHP's messages to the error log (and, as php-fpm does, to the web server on FCGI_STDERR).
const std::string kLogErrors = "php_admin_flag[log_errors] = on\n";

constexpr const char* fatal =
    "Maximum execution time of 2 seconds exceeded (request_terminate_timeout)";

}  // namespace

TEST_CASE("request_terminate_timeout ends a busy loop with a fatal error, the thread goes on") {
  ZfpmServer server({.workers = 1, .pool_config = "request_terminate_timeout = 2s\n" + kLogErrors});
  INFO("zfpm log:\n", server.process.log());
  auto busy = server.script("busy.php",
                            "<?php echo 'tid ', zfpm_worker_info()['tid'], \"\\n\";\n"
                            "$i = 0;\n"
                            "while (true) { $i++; }\n"
                            "echo 'never';\n");
  auto tid = server.script("tid.php", tid_php);

  auto response = server.get(busy);
  CHECK(response.app_status == 255);
  CHECK(response.body.find(fatal) != std::string::npos);
  CHECK(response.body.find("never") == std::string::npos);
  // php-fpm's line; N is the pool process's pid.
  CHECK(server.process.wait_for_log_line([&](std::string_view line) {
    return line.find("] WARNING: [pool www] child ") != std::string_view::npos &&
           line.find(", script '" + busy +
                     "' (request: \"GET /busy.php\") execution timed out (") !=
               std::string_view::npos &&
           line.find(" sec), terminating") != std::string_view::npos;
  }));
  CHECK(server.process.wait_for_log(std::string("PHP Fatal error:  ") + fatal, 5s));
  CHECK(response.err.find(std::string("PHP Fatal error:  ") + fatal) != std::string::npos);

  const std::string busy_tid = tid_of(response.body);
  REQUIRE(!busy_tid.empty());
  auto next = server.get(tid);
  CHECK(next.app_status == 0);
  CHECK(tid_of(next.body) == busy_tid);
}

TEST_CASE("request_terminate_timeout wakes a script from sleep(100)") {
  ZfpmServer server({.workers = 1, .pool_config = "request_terminate_timeout = 2s\n" + kLogErrors});
  INFO("zfpm log:\n", server.process.log());
  auto sleeper = server.script("sleeper.php",
                               "<?php echo 'tid ', zfpm_worker_info()['tid'], \"\\n\";\n"
                               "sleep(100);\n"
                               "echo 'woke';\n");
  auto tid = server.script("tid.php", tid_php);

  // The client gives up after 15 s: far short of 100.
  auto response = server.get(sleeper);
  CHECK(response.app_status == 255);
  CHECK(response.body.find(fatal) != std::string::npos);
  CHECK(response.body.find("woke") == std::string::npos);
  CHECK(server.process.wait_for_log("execution timed out (", 5s));
  CHECK(server.process.wait_for_log(std::string("PHP Fatal error:  ") + fatal, 5s));
  CHECK(response.err.find(std::string("PHP Fatal error:  ") + fatal) != std::string::npos);

  auto next = server.get(tid);
  CHECK(next.app_status == 0);
  CHECK(tid_of(next.body) == tid_of(response.body));
}

TEST_CASE("with display_errors off the client gets a 500 when nothing was sent yet") {
  ZfpmServer server({.workers = 1,
                     .pool_config = "request_terminate_timeout = 1s\n"
                                    "php_admin_flag[display_errors] = off\n" +
                                    kLogErrors});
  INFO("zfpm log:\n", server.process.log());
  auto busy = server.script("busy.php", "<?php while (true) {}");
  auto response = server.get(busy);
  CHECK(response.status == 500);
  CHECK(response.app_status == 255);
  CHECK(server.process.wait_for_log("Maximum execution time of 1 second exceeded", 5s));
}

TEST_CASE("after fastcgi_finish_request the timer stops unless track_finished") {
  for (bool track : {false, true}) {
    CAPTURE(track);
    ZfpmServer server({.workers = 1,
                       .pool_config = std::string("request_terminate_timeout = 1s\n") +
                                      "request_terminate_timeout_track_finished = " +
                                      (track ? "yes" : "no") + "\n"});
    INFO("zfpm log:\n", server.process.log());
    const std::string marker = server.docroot.file("marker");
    auto script = server.script("after.php",
                                "<?php echo 'sent';\n"
                                "fastcgi_finish_request();\n"
                                "usleep(2500000);\n"
                                "file_put_contents('" +
                                    marker + "', 'done');\n");
    auto response = server.get(script);
    CHECK(response.body == "sent");
    // Either the marker appears, or the termination is logged: wait for whichever should.
    if (track) {
      CHECK(server.process.wait_for_log("execution timed out (", 5s));
      std::this_thread::sleep_for(3s);
      CHECK(!std::filesystem::exists(marker));
    } else {
      for (int i = 0; i < 100 && !std::filesystem::exists(marker); ++i)
        std::this_thread::sleep_for(100ms);
      CHECK(std::filesystem::exists(marker));
      CHECK(server.process.log().find("execution timed out") == std::string::npos);
    }
  }
}

TEST_CASE("a fast request is not touched by request_terminate_timeout") {
  ZfpmServer server({.workers = 2,
                     .pool_config = "request_terminate_timeout = 1s\n"
                                    "request_slowlog_timeout = 1s\n"
                                    "slowlog = /dev/null\n"});
  INFO("zfpm log:\n", server.process.log());
  auto echo = server.script("echo.php", "<?php echo 'ok ', $_GET['i'] ?? '';");
  for (int i = 0; i < 20; ++i) {
    auto response = server.get(echo, "i=" + std::to_string(i));
    CHECK(response.body == "ok " + std::to_string(i));
    CHECK(response.app_status == 0);
  }
  // Past both timeouts, with every worker idle: nothing to log.
  std::this_thread::sleep_for(1500ms);
  CHECK(server.process.log().find("timed out") == std::string::npos);
  CHECK(server.process.log().find("too slow") == std::string::npos);
}

TEST_CASE("a worker stuck in C code past the deadline is replaced, and the pool keeps serving") {
  // bcrypt at cost 16 runs for seconds inside one C call that never looks at vm_interrupt.
  ZfpmServer server({.workers = 1, .pool_config = "request_terminate_timeout = 1s\n" + kLogErrors});
  INFO("zfpm log:\n", server.process.log());
  auto stuck = server.script(
      "stuck.php", "<?php password_hash('x', PASSWORD_BCRYPT, ['cost' => 16]); echo 'done';");
  auto tid = server.script("tid.php", "<?php echo zfpm_worker_info()['tid'];");
  auto first = server.get(tid).body;
  auto stuck_request = std::async(std::launch::async, [&] {
    try {
      return server.get(stuck).body;
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  });
  std::this_thread::sleep_for(200ms);
  // The only worker is stuck: this waits until the watchdog gives up on it (deadline 1 s, then
  // another 1 s) and a new thread takes over.
  auto next = server.get(tid);
  CHECK(next.status == 200);
  CHECK(next.body != first);
  CHECK(server.process.log().find("is stuck in code that never returns to PHP; a new worker "
                                  "thread takes its place") != std::string::npos);
  stuck_request.wait();
}
