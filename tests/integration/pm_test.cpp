// pm = static | dynamic | ondemand as worker threads, and pm.max_requests recycling a thread
// (docs/process-model.md), observed through the status page's process counts and the workers'
// thread ids.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* sleep_php = "<?php usleep((int)$_GET['ms'] * 1000); echo 'slept';";
constexpr const char* tid_php = "<?php echo zfpm_worker_info()['tid'];";

// "total processes" from the JSON status page (the status request itself is one of them).
int total_processes(const ZfpmServer& server) {
  auto connection = server.connect();
  auto response = connection.request(params_for("/status", {.query = "json"}));
  std::smatch match;
  static const std::regex total(R"re("total processes":(\d+))re");
  if (!std::regex_search(response.body, match, total)) return -1;
  return std::stoi(match[1]);
}

// Polls until `predicate(total)` holds or the bound passes; the last total seen.
template <typename Predicate>
int wait_for_total(const ZfpmServer& server, Predicate predicate, std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  int total = total_processes(server);
  while (!predicate(total) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    total = total_processes(server);
  }
  return total;
}

// sleep_php's answer after `ms`: "slept", or why there was none.
std::string nap(const ZfpmServer& server, const std::string& script, int ms) {
  try {
    return server.get(script, "ms=" + std::to_string(ms)).body;
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::future<std::string>> sleepers(const ZfpmServer& server, const std::string& script,
                                               int n, int ms) {
  std::vector<std::future<std::string>> requests;
  for (int i = 0; i < n; ++i) {
    requests.push_back(
        std::async(std::launch::async, [&server, script, ms] { return nap(server, script, ms); }));
  }
  return requests;
}

}  // namespace

TEST_CASE("pm = ondemand starts threads under load and retires them after process_idle_timeout") {
  ZfpmServer server({.workers = 6,
                     .pool_config = "pm = ondemand\npm.process_idle_timeout = 1s\n"
                                    "pm.status_path = /status\n"});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("sleep.php", sleep_php);
  // Only the status request's own thread exists at first.
  CHECK(total_processes(server) == 1);
  auto requests = sleepers(server, slow, 4, 1500);
  CHECK(wait_for_total(
            server, [](int t) { return t >= 5; }, 5s) >= 5);
  for (auto& request : requests) CHECK(request.get() == "slept");
  // Idle for more than process_idle_timeout: back to the thread answering.
  CHECK(wait_for_total(
            server, [](int t) { return t <= 1; }, 6s) == 1);
}

TEST_CASE("pm = dynamic starts start_servers, grows under load, shrinks to max_spare_servers") {
  ZfpmServer server({.workers = 8,
                     .pool_config = "pm = dynamic\npm.start_servers = 2\n"
                                    "pm.min_spare_servers = 1\npm.max_spare_servers = 2\n"
                                    "pm.status_path = /status\n"});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("sleep.php", sleep_php);
  // start_servers threads; the status request itself may leave fewer than min_spare_servers
  // idle for a moment, and one more may start.
  std::this_thread::sleep_for(300ms);
  const int at_start = total_processes(server);
  CHECK(at_start >= 2);
  CHECK(at_start <= 3);
  auto requests = sleepers(server, slow, 5, 1500);
  CHECK(wait_for_total(
            server, [](int t) { return t >= 6; }, 5s) >= 6);
  for (auto& request : requests) CHECK(request.get() == "slept");
  // Idle again: surplus threads leave, down to max_spare_servers idle ones (plus the status
  // request's, which is busy while it counts), one a second as php-fpm's children do: three
  // or more leave, which takes two seconds at least.
  const auto idle_from = std::chrono::steady_clock::now();
  CHECK(wait_for_total(
            server, [](int t) { return t <= 3; }, 8s) <= 3);
  CHECK(std::chrono::steady_clock::now() - idle_from >= 1500ms);
}

// `clients` keep-busy clients, each sending a 200 ms request after the last answer, until
// `done` holds (checked every 100 ms, for 20 s at most); the number of failed requests.
template <typename Done>
int keep_busy(const ZfpmServer& server, const std::string& script, int clients, Done done) {
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::vector<std::jthread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100 && !stop; ++i) {  // bounded: 100 naps of 200 ms
        if (nap(server, script, 200) != "slept") ++failed;
      }
    });
  }
  for (int i = 0; i < 200 && !done(); ++i) std::this_thread::sleep_for(100ms);
  stop = true;
  threads.clear();  // joins
  return failed;
}

TEST_CASE("pm = dynamic keeps growing to pm.max_children while every thread stays busy") {
  // One thread started a second: a thread that takes a client with none idle starts the next
  // at once only while the second's budget lasts; then nobody is ever idle (each thread takes
  // the next client from the backlog as it finishes), and the once-a-second maintenance must
  // still start threads, as php-fpm's master does.
  ZfpmServer server({.workers = 4,
                     .pool_config = "pm = dynamic\npm.start_servers = 1\n"
                                    "pm.min_spare_servers = 1\npm.max_spare_servers = 1\n"
                                    "pm.max_spawn_rate = 1\npm.status_path = /status\n"});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("sleep.php", sleep_php);
  int total = 0;
  CHECK(keep_busy(server, slow, 8, [&] { return (total = total_processes(server)) >= 4; }) == 0);
  CHECK(total == 4);
}

TEST_CASE("pm = dynamic that stays short of idle threads says it seems busy, as php-fpm") {
  // Each second that finds none idle doubles what the maintenance starts (1, 2, 4, 8: php-fpm's
  // idle_spawn_rate); at 8 it warns. Eight threads a second at most keep the pool short of 64.
  ZfpmServer server({.workers = 64,
                     .pool_config = "pm = dynamic\npm.start_servers = 1\n"
                                    "pm.min_spare_servers = 1\npm.max_spare_servers = 1\n"
                                    "pm.max_spawn_rate = 8\n"});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("sleep.php", sleep_php);
  const std::string busy =
      "WARNING: [pool www] seems busy (you may need to increase pm.start_servers, or "
      "pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and ";
  auto warned = [&] { return server.process.log().find(busy) != std::string::npos; };
  CHECK(keep_busy(server, slow, 64, warned) == 0);
  CHECK(warned());
}

TEST_CASE("pm.max_requests recycles a worker thread without failing a request") {
  ZfpmServer server({.workers = 1, .pool_config = "pm.max_requests = 3\n"});
  INFO("zfpm log:\n", server.process.log());
  auto tid = server.script("tid.php", tid_php);
  std::vector<std::string> tids;
  for (int i = 0; i < 9; ++i) {
    auto response = server.get(tid);
    REQUIRE(response.status == 200);
    tids.push_back(response.body);
  }
  // Three requests per thread, then a new thread (a new PHP context) takes over.
  for (int i = 0; i < 9; ++i) {
    CAPTURE(i);
    if (i % 3 != 0) CHECK(tids[i] == tids[i - 1]);
    if (i > 0 && i % 3 == 0) CHECK(tids[i] != tids[i - 1]);
  }
  CHECK(std::set<std::string>(tids.begin(), tids.end()).size() == 3);
}

TEST_CASE("worker threads run under SCHED_BATCH unless --worker-scheduling normal") {
  // The policy of the thread running the script: field 41 of /proc/thread-self/stat (3 is
  // SCHED_BATCH, 0 SCHED_OTHER).
  constexpr const char* policy_php =
      "<?php $s = file_get_contents('/proc/thread-self/stat');\n"
      "echo explode(' ', substr($s, strrpos($s, ')') + 2))[38];";
  for (const auto& [flag, policy] :
       {std::pair{"batch", "3"}, std::pair{"normal", "0"}, std::pair{"", "3"}}) {
    CAPTURE(flag);
    ZfpmOptions options{.workers = 2};
    if (*flag) options.extra_args = {"--worker-scheduling", flag};
    ZfpmServer server(options);
    INFO("zfpm log:\n", server.process.log());
    auto script = server.script("policy.php", policy_php);
    for (int i = 0; i < 3; ++i) CHECK(server.get(script).body == policy);
  }
}
