// PHP machinery shared across requests on one worker thread, or across the threads: the
// max_execution_time timer that a worker keeps for its life (src/php/execution_timer.cpp), and
// opcache, one cache for every thread, whose resets are refused while others run.
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
