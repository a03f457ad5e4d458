// Floats formatted and parsed by several worker threads at once. PHP's zend_dtoa/zend_strtod
// keep a free list of big integers; zfpm's PHP keeps one per thread instead of one behind a
// process-wide lock (third_party/php/patches/zend_strtod-thread-free-list.patch). Each answer
// must match the one the same script gave with nothing else running, every printed float must
// parse back to itself, and threads retired by pm.max_requests (whose lists are freed as they
// end) must leave the others correct.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// 400 floats from tiny to huge, each printed four ways; the answer is the number that did not
// parse back to the same float, then a digest of everything printed.
constexpr const char* kFloatsScript = R"PHP(<?php
$seed = (int) $_GET['seed'];
$out = [];
$bad = 0;
for ($i = 1; $i <= 400; $i++) {
    $x = ($seed * 7919 + $i * 104729) / 997.0 * [1e-300, 1e-9, 1.0, 3e15, 1e300][$i % 5];
    $s = sprintf('%.17g', $x);
    if ((float) $s !== $x) $bad++;
    $out[] = $s . ' ' . number_format($x, 6, '.', '') . ' ' . $x . ' ' . json_encode($x / 3);
}
echo $bad, '|', md5(implode("\n", $out));
)PHP";

}  // namespace

TEST_CASE("floats formatted and parsed on every worker at once give the answers of one alone") {
  ZfpmServer server({.workers = 4, .pool_config = "pm.max_requests = 40\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("floats.php", kFloatsScript);

  constexpr int kSeeds = 8;
  std::map<int, std::string> alone;
  for (int seed = 0; seed < kSeeds; ++seed) {
    alone[seed] = server.get(script, "seed=" + std::to_string(seed)).body;
    REQUIRE(alone[seed].starts_with("0|"));
  }
  CHECK(alone[0] != alone[1]);

  constexpr int kClients = 6;
  constexpr int kRequests = 80;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequests; ++i) {
        const int seed = (c + i) % kSeeds;
        if (server.get(script, "seed=" + std::to_string(seed)).body != alone[seed]) ++wrong;
      }
    });
  }
  for (auto& client : clients) client.join();

  CHECK(wrong.load() == 0);
}
