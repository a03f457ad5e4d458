// Many requests at once are spread over the worker threads and each comes back whole; one
// connection with FCGI_KEEP_CONN carries many requests in a row.
#include <doctest/doctest.h>

#include <latch>
#include <set>
#include <sstream>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// A little CPU, a little sleep, then the token and who ran it.
constexpr const char* busy_php =
    "<?php $sum = 0; for ($i = 1; $i <= 10000; $i++) { $sum += $i % 7; }\n"
    "usleep(2000);\n"
    "$w = zfpm_worker_info();\n"
    "echo $_GET['token'], ' ', $w['id'], ' ', $sum;";

long expected_sum() {
  long sum = 0;
  for (long i = 1; i <= 10000; ++i) sum += i % 7;
  return sum;
}

struct Outcome {
  std::string body;
  int status = 0;
  std::string error;
};

}  // namespace

TEST_CASE("200 concurrent requests over 4 workers all come back complete and correct") {
  ZfpmServer server({.workers = 4});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("busy.php", busy_php);
  constexpr int clients = 200;

  std::vector<Outcome> outcomes(clients);
  {
    std::latch start(clients);
    std::vector<std::jthread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();  // all connect at once
        try {
          auto connection = server.connect(20s);
          auto response =
              connection.request(params_for(script, {.query = "token=t" + std::to_string(i)}));
          outcomes[i] = {response.body, response.status, response.err};
        } catch (const std::exception& e) {
          outcomes[i].error = e.what();
        }
      });
    }
  }  // jthreads join here

  std::set<int> worker_ids;
  std::vector<std::string> problems;
  for (int i = 0; i < clients; ++i) {
    const auto& o = outcomes[i];
    std::istringstream fields(o.body);
    std::string token;
    int worker = -1;
    long sum = -1;
    fields >> token >> worker >> sum;
    bool ok = o.error.empty() && o.status == 200 && token == "t" + std::to_string(i) &&
              sum == expected_sum() && fields.eof();
    if (ok) {
      worker_ids.insert(worker);
    } else {
      problems.push_back("request " + std::to_string(i) + ": status " + std::to_string(o.status) +
                         ", body '" + o.body.substr(0, 200) + "', error '" + o.error + "'");
    }
  }
  for (size_t i = 0; i < problems.size() && i < 5; ++i) MESSAGE(problems[i]);
  CHECK(problems.empty());
  std::string ids;
  for (int id : worker_ids) ids += std::to_string(id) + " ";
  INFO("worker ids seen: ", ids);
  CHECK(worker_ids.size() > 1);
  CHECK(worker_ids.size() <= 4);
  CHECK(*worker_ids.begin() >= 0);
  CHECK(*worker_ids.rbegin() <= 4);
}

TEST_CASE("10,000 requests on one keep-alive connection each get their own answer") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "triple.php",
      "<?php $w = zfpm_worker_info(); echo $_GET['n'] * 3, ' ', $w['requests'], ' ', $w['tid'];");

  auto connection = server.connect();
  const int fd = connection.fd();
  long first_count = -1, previous_count = -1, first_tid = -1;
  std::string failure;
  for (int n = 0; n < 10000 && failure.empty(); ++n) {
    Response response;
    try {
      response =
          connection.request(params_for(script, {.query = "n=" + std::to_string(n)}), {}, true);
    } catch (const std::exception& e) {
      failure = "request " + std::to_string(n) + " failed: " + e.what();
      break;
    }
    std::istringstream fields(response.body);
    long tripled = -1, count = -1, tid = -1;
    fields >> tripled >> count >> tid;
    if (response.status != 200 || tripled != 3L * n) {
      failure = "request " + std::to_string(n) + ": status " + std::to_string(response.status) +
                ", body '" + response.body.substr(0, 300) + "'";
    } else if (n == 0) {
      first_count = previous_count = count;
      first_tid = tid;
    } else if (count != previous_count + 1 || tid != first_tid) {
      // One worker serves them all: its request count goes up by one, its thread stays the same.
      failure = "request " + std::to_string(n) + ": worker requests " + std::to_string(count) +
                " after " + std::to_string(previous_count) + ", tid " + std::to_string(tid) +
                " (first " + std::to_string(first_tid) + ")";
    } else {
      previous_count = count;
    }
  }
  CHECK_MESSAGE(failure.empty(), failure);
  CHECK(connection.requests_sent() == 10000);
  CHECK(connection.fd() == fd);
  CHECK(previous_count - first_count == 9999);

  // The connection is still open: one more request without FCGI_KEEP_CONN, then the server closes.
  auto last = connection.request(params_for(script, {.query = "n=10000"}), {}, false);
  CHECK(last.body.substr(0, 6) == "30000 ");
  CHECK(connection.read_until_close(5s).closed());
}

TEST_CASE("without FCGI_KEEP_CONN the server closes the connection after the response") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("hello.php", "<?php echo 'hello';");

  auto connection = server.connect();
  CHECK(connection.request(params_for(script), {}, false).body == "hello");

  auto rest = connection.read_until_close(5s);
  CHECK(rest.closed());
  CHECK(rest.bytes.empty());
}

TEST_CASE("with FCGI_KEEP_CONN the connection stays open after the response") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("hello.php", "<?php echo 'hello';");

  auto connection = server.connect();
  CHECK(connection.request(params_for(script), {}, true).body == "hello");

  auto rest = connection.read_until_close(300ms);
  CHECK(rest.timed_out);
  CHECK(rest.bytes.empty());
}

TEST_CASE("eight keep-alive clients sharing two workers all get their answers") {
  ZfpmServer server({.workers = 2});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("busy.php", busy_php);
  constexpr int clients = 8, per_client = 25;

  std::vector<std::string> errors(clients);
  {
    std::vector<std::jthread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        try {
          auto connection = server.connect(20s);
          for (int r = 0; r < per_client; ++r) {
            std::string token = "c" + std::to_string(c) + "r" + std::to_string(r);
            auto response =
                connection.request(params_for(script, {.query = "token=" + token}), {}, true);
            if (response.body.rfind(token + " ", 0) != 0) {
              errors[c] = "request " + token + " answered '" + response.body.substr(0, 200) + "'";
              return;
            }
          }
        } catch (const std::exception& e) {
          errors[c] = e.what();
        }
      });
    }
  }
  for (int c = 0; c < clients; ++c) {
    CAPTURE(c);
    CHECK(errors[c] == "");
  }
}
