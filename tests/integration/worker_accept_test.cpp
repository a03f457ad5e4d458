// pm = static and dynamic: workers accept their clients themselves (net/server.hpp,
// docs/protocol.md "Flow control"); clients beyond the free workers wait in the kernel's backlog;
// a client that is slow to send its request goes to the I/O thread and frees the worker.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "proc_status.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::string request_bytes(const std::string& script, const std::string& query) {
  std::string out =
      fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
  out += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script, {.query = query})));
  out += fcgi::stream(fcgi::stdin_, 1, "");
  return out;
}

// Six slow clients on two workers at most: zfpm holds only the two it serves.
void check_six_slow_clients(const std::string& pool_config) {
  ZfpmServer server({.workers = 2, .pool_config = pool_config});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("slow.php", "<?php usleep(300000); echo 'done ', $_GET['i'];");
  REQUIRE(server.get(script, "i=warmup").body == "done warmup");
  const pid_t pid = server.pool_pid();
  std::this_thread::sleep_for(100ms);
  const std::size_t fds_before = open_fds(pid);
  std::atomic<bool> done{false};
  std::size_t max_fds = 0;
  std::vector<std::future<std::string>> bodies;
  {
    std::jthread sampler([&] {
      for (int i = 0; i < 1000 && !done; ++i) {  // bounded: the clients take about a second
        max_fds = std::max(max_fds, open_fds(pid));
        std::this_thread::sleep_for(5ms);
      }
    });
    for (int i = 0; i < 6; ++i) {
      bodies.push_back(std::async(std::launch::async, [&server, script, i] {
        try {
          return server.get(script, "i=" + std::to_string(i)).body;
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
      }));
    }
    for (int i = 0; i < 6; ++i) CHECK(bodies[i].get() == "done " + std::to_string(i));
    done = true;
  }
  // Each worker holds its client's socket and its running script's file; the other clients
  // wait in the backlog, not in zfpm (accepting them into its queue would make it 6 or more).
  CHECK(max_fds >= fds_before + 2);
  CHECK(max_fds <= fds_before + 4);
  CHECK(server.process.wait_for_log("[pool www] server reached pm.max_children setting (2)", 1s));
}

}  // namespace

TEST_CASE("pm = static: six slow clients on two workers, zfpm holds only the two it serves") {
  check_six_slow_clients("\n");
}

TEST_CASE("pm = dynamic: the workers accept too, and the one leading starts the next leader") {
  // One thread at start: it takes the first client and starts a second, which leads and takes
  // the second client; pm.max_children is then reached and the others wait in the backlog.
  check_six_slow_clients(
      "pm = dynamic\npm.start_servers = 1\npm.min_spare_servers = 1\npm.max_spare_servers = 1\n");
}

TEST_CASE(
    "a client whose request pauses after its first bytes is served by way of the I/O thread") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", "<?php echo 'ok ', $_GET['i'];");
  auto connection = server.connect();
  const std::string bytes = request_bytes(script, "i=paused");
  connection.send_raw(bytes.substr(0, 20));  // BEGIN_REQUEST and a piece of PARAMS
  std::this_thread::sleep_for(200ms);
  // Meanwhile the worker is free: another client is answered.
  CHECK(server.get(script, "i=other").body == "ok other");
  connection.send_raw(bytes.substr(20));
  auto answer = connection.read_until_close(5s);
  CHECK(answer.closed());
  CHECK(answer.bytes.find("ok paused") != std::string::npos);
}

TEST_CASE("a client that connects and sends nothing does not hold the only worker") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", "<?php echo 'ok ', $_GET['i'];");
  auto silent = server.connect();
  std::this_thread::sleep_for(100ms);  // the worker accepted it, waited a moment, let it go
  const auto start = std::chrono::steady_clock::now();
  CHECK(server.get(script, "i=1").body == "ok 1");
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("a kept connection whose first request a worker took serves its next requests") {
  ZfpmServer server({.workers = 2});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", "<?php echo 'ok ', $_GET['i'];");
  auto connection = server.connect();
  for (int i = 0; i < 5; ++i) {
    const auto token = std::to_string(i);
    CHECK(connection.request(params_for(script, {.query = "i=" + token}), {}, true).body ==
          "ok " + token);
  }
  // ABORT_REQUEST with nothing running on it is answered by the I/O thread, which has it now.
  connection.send_raw(fcgi::record(fcgi::abort_request, 1, ""));
  CHECK(connection.request(params_for(script, {.query = "i=last"}), {}, false).body == "ok last");
}

TEST_CASE("a new client is served while kept connections keep every worker busy") {
  // Two workers and four places (--request-queue defaults to the workers): four clients fill
  // them, two requests running and two queued for the workers; six also leave requests waiting
  // for a place. Either way the workers never go idle.
  for (const int kept : {4, 6}) {
    CAPTURE(kept);
    ZfpmServer server({.workers = 2});
    INFO("zfpm log:\n", server.process.log());
    auto script = server.script("nap.php", "<?php usleep(20000); echo 'ok ', $_GET['i'];");
    // Each keep-alive client sends its next request soon after it has the last answer.
    std::atomic<bool> stop{false};
    std::atomic<int> served{0};
    std::vector<std::jthread> keepers;
    for (int k = 0; k < kept; ++k) {
      keepers.emplace_back([&] {
        try {
          auto connection = server.connect();
          for (int i = 0; i < 1000 && !stop; ++i) {  // bounded: 1000 naps of 20 ms shared by 2
            auto answer = connection.request(params_for(script, {.query = "i=k"}), {}, true);
            if (answer.body == "ok k") ++served;
            // A moment before the next request: its place is free by then, so with four
            // clients no request waits for a place, only for a worker.
            std::this_thread::sleep_for(2ms);
          }
        } catch (const std::exception&) {
        }
        stop = true;  // one keeper ending early ends the load: the check below then fails
      });
    }
    for (int i = 0; i < 500 && served < 2 * kept; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(served >= 2 * kept);
    // The new client waits in the listen queue; its turn comes between the kept requests, not
    // when they stop.
    std::string body;
    try {
      body = server.get(script, "i=new").body;
    } catch (const std::exception& e) {
      body = e.what();
    }
    const bool load_went_on = !stop;
    stop = true;
    keepers.clear();
    CHECK(body == "ok new");
    CHECK(load_went_on);
  }
}
