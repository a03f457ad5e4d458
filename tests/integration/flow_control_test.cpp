// Flow control: when every worker is busy and the queue is full, zfpm stops accepting, so extra
// clients wait in the kernel's backlog instead of in zfpm's memory; all of them are served.
#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <thread>

#include "fcgi_client.hpp"
#include "proc_status.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* slow_php = "<?php usleep(50000); echo 'done ', $_GET['i'];";

}  // namespace

TEST_CASE("64 concurrent slow requests on 2 workers all complete, zfpm holds at most 4 clients") {
  ZfpmServer server({.workers = 2});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("slow.php", slow_php);
  REQUIRE(server.get(script, "i=warmup").body == "done warmup");
  const pid_t pid = server.pool_pid();
  std::this_thread::sleep_for(100ms);  // the warm-up connection is closed and gone
  const std::size_t fds_before = open_fds(pid);
  const std::size_t peak_before = vm_kib(pid, "VmHWM");
  REQUIRE(fds_before > 0);

  constexpr int clients = 64;
  std::vector<std::string> bodies(clients), errors(clients);
  std::atomic<bool> done{false};
  std::size_t max_fds = 0;
  {
    std::jthread sampler([&] {
      // Bounded: the clients finish in ~2 s; the loop also stops after 30 s whatever happens.
      for (int i = 0; i < 3000 && !done; ++i) {
        max_fds = std::max(max_fds, open_fds(pid));
        std::this_thread::sleep_for(10ms);
      }
    });
    std::latch start(clients);
    std::vector<std::jthread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          bodies[i] = server.connect(30s)
                          .request(params_for(script, {.query = "i=" + std::to_string(i)}))
                          .body;
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    threads.clear();  // joins the clients
    done = true;
  }
  for (int i = 0; i < clients; ++i) {
    CAPTURE(i);
    CHECK(errors[i] == "");
    CHECK(bodies[i] == "done " + std::to_string(i));
  }
  // Two workers plus a queue of two hold four client sockets; the workers' open scripts and a
  // connection or two still writing their last records (the slot frees when the worker does)
  // add a few. Without flow control this would be near 64.
  CHECK(max_fds <= fds_before + 8);
  CHECK(max_fds >= fds_before + 2);  // the sampler did see the load
  // Memory does not follow the load: the peak RSS grows by less than 16 MiB.
  CHECK(vm_kib(pid, "VmHWM") < peak_before + 16 * 1024);
  CHECK(server.process.wait_for_log("[pool www] server reached pm.max_children setting (2)", 1s));
}

TEST_CASE("keep-alive connections beyond the workers' slots are all served in turn") {
  ZfpmServer server({.workers = 1, .extra_args = {"--request-queue", "1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("slow.php", "<?php usleep(10000); echo 'done ', $_GET['i'];");
  constexpr int connections = 6, requests = 5;
  std::vector<std::string> problems(connections);
  {
    std::vector<std::jthread> threads;
    for (int c = 0; c < connections; ++c) {
      threads.emplace_back([&, c] {
        try {
          auto connection = server.connect(30s);
          for (int r = 0; r < requests; ++r) {
            std::string token = std::to_string(c) + "-" + std::to_string(r);
            auto response = connection.request(params_for(script, {.query = "i=" + token}), {},
                                               /*keep_conn=*/true);
            if (response.body != "done " + token) problems[c] += "bad body: " + response.body;
          }
        } catch (const std::exception& e) {
          problems[c] += e.what();
        }
      });
    }
  }
  for (int c = 0; c < connections; ++c) {
    CAPTURE(c);
    CHECK(problems[c] == "");
  }
}

TEST_CASE("--max-connections: extra clients wait in the backlog and are served when one leaves") {
  ZfpmServer server({.workers = 2, .extra_args = {"--max-connections", "2"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", "<?php echo 'ok ' . $_GET['i'];");
  auto first = server.connect();
  auto second = server.connect();
  CHECK(first.request(params_for(script, {.query = "i=1"}), {}, true).body == "ok 1");
  CHECK(second.request(params_for(script, {.query = "i=2"}), {}, true).body == "ok 2");

  auto third = server.connect(5s);  // the kernel completes the handshake; zfpm does not accept
  std::string out =
      fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
  out += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script, {.query = "i=3"})));
  out += fcgi::stream(fcgi::stdin_, 1, "");
  third.send_raw(out);
  auto nothing = third.read_until_close(500ms);
  CHECK(nothing.timed_out);
  CHECK(nothing.bytes.empty());
  CHECK(server.process.wait_for_log("server reached max connections (2)", 2s));

  first.close();
  auto answer = third.read_until_close(5s);
  CAPTURE(answer.bytes);
  CHECK(answer.closed());
  CHECK(answer.bytes.find("ok 3") != std::string::npos);
}
