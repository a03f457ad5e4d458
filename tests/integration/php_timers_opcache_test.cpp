// PHP machinery shared across requests on one worker thread: the max_execution_time timer that a
// worker keeps for its life (src/php/execution_timer.cpp), and a bailout that escapes the
// request, after which the thread gets a fresh PHP context. (opcache, one cache for every thread:
// opcache_reset_test.cpp.)
#include <doctest/doctest.h>

#include <string>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

TEST_CASE("max_execution_time on one worker: armed per request, never carried to the next") {
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "display_errors=1"}});
  INFO("zfpm log:\n", server.process.log());
  auto quick = server.script("quick.php", "<?php set_time_limit(1); echo 'quick';");
  auto slow = server.script("slow.php", "<?php usleep(1500000); echo 'slept';");
  auto spin = server.script("spin.php", "<?php set_time_limit(1); while (true) {}");

  // A request that armed a 1 s limit and ended: the next one, with no limit, outlives it.
  auto first = server.get(quick);
  auto unlimited = server.get(slow);
  // The same thread's timer still fires, request after request.
  auto spun = server.get(spin);
  auto spun_again = server.get(spin);
  auto after = server.get(quick);

  CHECK(first.body == "quick");
  CHECK(unlimited.body == "slept");
  CHECK(spun.body.find("Maximum execution time of 1 second exceeded") != std::string::npos);
  CHECK(spun_again.body.find("Maximum execution time of 1 second exceeded") != std::string::npos);
  CHECK(after.body == "quick");
}

// PHP parses $_POST inside php_request_startup(); running out of memory there is a bailout that
// no script-level zend_try catches, so startup fails. php-fpm's child exits on that
// (fpm_main.c); zfpm frees the worker's PHP context and makes a new one on the same thread.
TEST_CASE("a bailout in PHP's request startup: the context is replaced, the same thread serves on") {
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "memory_limit=2M", "-d",
                                                  "post_max_size=64M", "-d",
                                                  "max_input_vars=1000000"}});
  INFO("zfpm log:\n", server.process.log());
  auto tid = server.script("tid.php", "<?php echo zfpm_worker_info()['tid'] ?? '', '|',"
                                      " ini_get('memory_limit');");
  auto before = server.get(tid);

  std::string body;
  for (int i = 0; i < 200000; ++i) body += "v" + std::to_string(i) + "=x&";
  auto crashed = server.connect().request(
      params_for(tid, {.method = "POST",
                       .content_type = "application/x-www-form-urlencoded",
                       .content_length = body.size()}),
      body);
  auto after = server.get(tid);
  auto again = server.get(tid);

  CHECK(before.status == 200);
  CHECK(server.process.wait_for_log("replacing the worker's PHP context", 5s));
  CHECK(after.body == before.body);  // the same thread, its settings as they were
  CHECK(again.body == before.body);
  CHECK(crashed.body.find("|2M") == std::string::npos);  // the script never ran
}
