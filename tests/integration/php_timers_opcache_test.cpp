// PHP machinery shared across requests on one worker thread, or across the threads: the
// max_execution_time timer that a worker keeps for its life (src/php/execution_timer.cpp), and
// opcache, one cache for every thread, whose resets are refused while others run; and a
// bailout that escapes the request, after which the thread gets a fresh PHP context.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

#ifdef ZFPM_SANITIZER_BUILD
constexpr bool kSanitizerBuild = true;  // no opcache under ASan: see CMakeLists.txt
#else
constexpr bool kSanitizerBuild = false;
#endif

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

TEST_CASE("opcache_reset() under concurrent load: refused each time, the cache never restarts" *
          doctest::skip(kSanitizerBuild)) {
  ZfpmServer server({.workers = 4});
  INFO("zfpm log:\n", server.process.log());
  server.script("lib.php", "<?php function twice(int $n): int { return $n * 2; }");
  auto work = server.script("work.php",
                            "<?php require __DIR__ . '/lib.php';"
                            " echo twice((int)$_GET['n']), '|', str_repeat('x', (int)$_GET['n']);");
  auto reset = server.script("reset.php",
                             "<?php var_export(@opcache_reset()); echo '|',"
                             " error_get_last()['message'] ?? '';");
  auto stats = server.script("stats.php",
                             "<?php $s = opcache_get_status(false);"
                             " echo $s['opcache_statistics']['manual_restarts'], ',',"
                             " $s['opcache_statistics']['oom_restarts'], ',',"
                             " $s['opcache_statistics']['hash_restarts'], ',',"
                             " var_export($s['restart_pending'], true);");

  constexpr int kClients = 4;
  constexpr int kRequests = 60;
  std::atomic<int> wrong{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequests; ++i) {
        const int n = c * 1000 + i;
        auto response = server.get(work, "n=" + std::to_string(n));
        if (response.body != std::to_string(2 * n) + "|" + std::string(std::size_t(n), 'x'))
          ++wrong;
      }
    });
  }
  clients.emplace_back([&] {
    for (int i = 0; i < kRequests; ++i) {
      auto response = server.get(reset);
      if (response.body.starts_with("false|opcache_reset(): Disabled in zfpm")) ++refused;
    }
  });
  for (auto& t : clients) t.join();
  auto after = server.get(stats);

  CHECK(wrong.load() == 0);
  CHECK(refused.load() == kRequests);
  CHECK(after.body == "0,0,0,false");
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
