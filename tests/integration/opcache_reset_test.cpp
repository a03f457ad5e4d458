// opcache_reset() and opcache_invalidate() among worker threads (src/php/opcache_restart.cpp): a
// reset waits until no other thread runs PHP, with the pool holding new requests back meanwhile,
// and a request answered after the call sees the new code. opcache.validate_timestamps=0 keeps
// opcache from noticing a changed file by itself, so only a reset (or an invalidation) shows it;
// opcache.file_update_protection=0 lets it cache the files the test has just written.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "http_client.hpp"
#include "nginx.hpp"
#include "sha256.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

#ifdef ZFPM_SANITIZER_BUILD
constexpr bool kSanitizerBuild = true;  // no opcache under ASan: see CMakeLists.txt
#else
constexpr bool kSanitizerBuild = false;
#endif

namespace {

const std::vector<std::string> kNoRevalidation = {"-d", "opcache.validate_timestamps=0", "-d",
                                                  "opcache.file_update_protection=0"};

constexpr const char* kResetScript = "<?php var_export(opcache_reset());";
// manual restarts, then whether a restart is still pending.
constexpr const char* kStatsScript =
    "<?php $s = opcache_get_status(false);"
    " echo $s['opcache_statistics']['manual_restarts'], ',', var_export($s['restart_pending'], "
    "true);";

std::vector<std::string> args(std::vector<std::string> more) {
  std::vector<std::string> all = kNoRevalidation;
  all.insert(all.end(), more.begin(), more.end());
  return all;
}

}  // namespace

TEST_CASE("opcache_reset() returns true and the request answered next sees the changed file" *
          doctest::skip(kSanitizerBuild)) {
  ZfpmServer server({.workers = 4, .extra_args = kNoRevalidation});
  INFO("zfpm log:\n", server.process.log());
  server.script("lib.php", "<?php return 'one';");
  auto page = server.script("page.php", "<?php echo require __DIR__ . '/lib.php';");
  auto reset = server.script("reset.php", kResetScript);
  auto stats = server.script("stats.php", kStatsScript);

  auto before = server.get(page);
  server.script("lib.php", "<?php return 'two';");
  auto cached = server.get(page);
  auto answer = server.get(reset);
  auto after = server.get(page);  // sent once the reset's response is in, without waiting
  auto counters = server.get(stats);

  CHECK(before.body == "one");
  CHECK(cached.body == "one");  // opcache does not look at the file again by itself
  CHECK(answer.body == "true");
  CHECK(after.body == "two");
  CHECK(counters.body == "1,false");
  CHECK(server.process.wait_for_log("[pool www] opcache reset: the pool paused"));
}

TEST_CASE("opcache_invalidate() drops one file from the cache, and nothing restarts" *
          doctest::skip(kSanitizerBuild)) {
  ZfpmServer server({.workers = 4, .extra_args = kNoRevalidation});
  INFO("zfpm log:\n", server.process.log());
  auto a = server.script("a.php", "<?php return 'a1';");
  server.script("b.php", "<?php return 'b1';");
  auto page = server.script("page.php",
                            "<?php echo require __DIR__ . '/a.php', require __DIR__ . '/b.php';");
  auto invalidate =
      server.script("invalidate.php", "<?php var_export(opcache_invalidate($_GET['file'], true));");
  auto stats = server.script("stats.php", kStatsScript);

  auto before = server.get(page);
  server.script("a.php", "<?php return 'a2';");
  server.script("b.php", "<?php return 'b2';");
  auto answer = server.get(invalidate, "file=" + a);
  auto after = server.get(page);
  auto counters = server.get(stats);

  CHECK(before.body == "a1b1");
  CHECK(answer.body == "true");
  CHECK(after.body == "a2b1");  // b.php is still the cached copy
  CHECK(counters.body == "0,false");
  CHECK(server.process.log().find("opcache reset") == std::string::npos);
}

TEST_CASE(
    "a reset while a long request runs: the pool waits zfpm.opcache_reset_timeout, serves"
    " on, and resets once that request has ended" *
    doctest::skip(kSanitizerBuild)) {
  ZfpmServer server({.workers = 4, .extra_args = args({"-d", "zfpm.opcache_reset_timeout=1"})});
  INFO("zfpm log:\n", server.process.log());
  server.script("lib.php", "<?php return 'one';");
  auto page = server.script("page.php", "<?php echo require __DIR__ . '/lib.php';");
  auto reset = server.script("reset.php", kResetScript);
  auto stats = server.script("stats.php", kStatsScript);
  auto long_request = server.script("long.php", "<?php usleep(4000000); echo 'long';");

  CHECK(server.get(page).body == "one");
  Response long_answer;
  std::thread runner([&] { long_answer = server.get(long_request); });
  std::this_thread::sleep_for(500ms);  // long.php is running
  server.script("lib.php", "<?php return 'two';");

  auto answer = server.get(reset);
  const auto sent = std::chrono::steady_clock::now();
  auto held = server.get(page);  // waits while the pool is paused
  const auto waited = std::chrono::steady_clock::now() - sent;
  auto deferred = server.process.wait_for_log("opcache reset deferred");
  auto during = server.get(stats);
  runner.join();
  auto done = server.process.wait_for_log("opcache reset: the pool paused");
  auto after = server.get(page);
  auto counters = server.get(stats);

  CHECK(answer.body == "true");
  // Held back for the bound (1 s), not until long.php ended (3.5 s later), and then served from
  // the old cache: the reset never ran while long.php did.
  CHECK(waited >= 800ms);
  CHECK(waited < 3s);
  CHECK(held.body == "one");
  REQUIRE(deferred);
  CHECK(deferred->find("1 of 1 running requests still running after 1.0") != std::string::npos);
  CHECK(during.body == "0,false");
  CHECK(long_answer.body == "long");
  CHECK(done);
  CHECK(after.body == "two");
  CHECK(counters.body == "1,false");
}

TEST_CASE(
    "through nginx under load, opcache_reset() again and again: every request answered right" *
    doctest::skip(kSanitizerBuild)) {
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  ZfpmServer zfpm({.workers = 4, .extra_args = kNoRevalidation});
  // Classes, functions, constants and strings from cached files: what a restart rewinds.
  zfpm.script("lib.php", R"(<?php
final class Point {
  public function __construct(public readonly int $x, public readonly int $y) {}
  public function label(): string { return sprintf('(%d,%d)', $this->x, $this->y); }
}
function twice(int $n): int { return $n * 2; }
const GREETING = 'hello';
)");
  zfpm.script("work.php", R"(<?php
require_once __DIR__ . '/lib.php';
$n = (int)$_GET['n'];
$p = new Point($n, twice($n));
$words = [];
for ($i = 0; $i < 50; $i++) {
  $words[] = GREETING . $i;
  if ($i === 25) usleep(2000);  // still inside cached code when a reset comes
}
echo $p->label(), '|', hash('sha256', implode(',', $words) . $n), '|', strlen(str_repeat('x', $n % 5000));
)");
  zfpm.script("reset.php", kResetScript);
  zfpm.script("version.php", "<?php echo require __DIR__ . '/v.php';");
  zfpm.script("v.php", "<?php return 'v0';");
  auto stats = zfpm.script("stats.php", kStatsScript);
  Nginx nginx({.root = zfpm.docroot.path(), .fastcgi_pass = zfpm.address(), .keep_conn = true});
  INFO("zfpm log:\n", zfpm.process.log());
  INFO("nginx error log:\n", nginx.error_log());
  const pid_t pool = zfpm.pool_pid();

  auto expected = [](int n) {
    std::string words;
    for (int i = 0; i < 50; ++i) words += (i ? ",hello" : "hello") + std::to_string(i);
    return "(" + std::to_string(n) + "," + std::to_string(2 * n) + ")|" +
           sha256_hex(words + std::to_string(n)) + "|" + std::to_string(n % 5000);
  };
  constexpr int kClients = 12;
  constexpr int kRequests = 150;
  constexpr int kResets = 20;
  std::atomic<int> failed{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequests; ++i) {
        const int n = c * kRequests + i;
        try {
          auto response = http_get(nginx.address(), "/work.php?n=" + std::to_string(n), 30s);
          if (response.status == 200 && response.body == expected(n)) {
            ++answered;
          } else {
            ++failed;
          }
        } catch (const TestError&) {
          ++failed;
        }
      }
    });
  }
  int resets_true = 0;
  int versions_seen = 0;
  for (int r = 1; r <= kResets; ++r) {
    zfpm.script("v.php", "<?php return 'v" + std::to_string(r) + "';");
    auto reset = http_get(nginx.address(), "/reset.php", 30s);
    if (reset.status == 200 && reset.body == "true") ++resets_true;
    // Answered after the reset's response: the new file, whatever else runs.
    auto version = http_get(nginx.address(), "/version.php", 30s);
    if (version.body == "v" + std::to_string(r)) ++versions_seen;
  }
  for (auto& t : clients) t.join();
  auto counters = zfpm.get(stats);

  CHECK(failed.load() == 0);
  CHECK(answered.load() == kClients * kRequests);
  CHECK(resets_true == kResets);
  CHECK(versions_seen == kResets);
  // Each reset's own request asked for one; none was merged away, since each waited for the last.
  CHECK(counters.body == std::to_string(kResets) + ",false");
  CHECK(zfpm.pool_pid() == pool);  // the pool's process never died
  CHECK(zfpm.process.log().find("deferred") == std::string::npos);
}
