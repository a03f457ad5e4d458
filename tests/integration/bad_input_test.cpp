// A client that breaks the FastCGI protocol or goes away early loses its own connection, with a
// line in the log; the server and everyone else carry on.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// The contract: a WARNING or ERROR line naming the peer or saying "connection".
bool reports_dropped_connection(std::string_view line, int peer_port) {
  bool warns = line.find("WARNING") != std::string_view::npos ||
               line.find("ERROR") != std::string_view::npos;
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  bool about_it = lower.find("connection") != std::string::npos ||
                  lower.find("127.0.0.1:" + std::to_string(peer_port)) != std::string::npos;
  return warns && about_it;
}

std::string random_garbage(std::size_t n) {
  std::mt19937 rng(20261121);  // fixed seed: the same bytes every run
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(byte(rng));
  out[0] = static_cast<char>(0xA5);  // never FastCGI version 1, whatever the seed gives
  return out;
}

// Proves the server still serves: a fresh connection gets a correct answer.
void expect_still_serving(ZfpmServer& server, const std::string& script) {
  CHECK(server.process.running());
  auto response = server.get(script, "who=after");
  CHECK(response.status == 200);
  CHECK(response.body == "still here: after");
}

constexpr const char* echo_php = "<?php echo 'still here: ', $_GET['who'];";

// Sends `bytes` on a fresh connection (after a good request, so the log offset is past startup),
// then expects the server to close it and log about it.
void expect_closed_and_logged(ZfpmServer& server, const std::string& script,
                              const std::string& bytes) {
  CHECK(server.get(script, "who=before").body == "still here: before");
  size_t log_offset = server.process.log_size();

  auto connection = server.connect();
  int peer_port = connection.local_port();
  connection.send_raw(bytes);
  auto answer = connection.read_until_close(5s);

  CHECK_MESSAGE(answer.closed(), "the server kept a connection open after garbage; it sent ",
                answer.bytes.size(), " bytes");
  auto line = server.process.wait_for_log_line(
      [peer_port](std::string_view l) { return reports_dropped_connection(l, peer_port); }, 5s,
      log_offset);
  CHECK_MESSAGE(line.has_value(), "no WARNING/ERROR line about the dropped connection (peer port ",
                peer_port, ")");
  expect_still_serving(server, script);
}

}  // namespace

TEST_CASE("64 random bytes make the server close that connection and log it") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);

  expect_closed_and_logged(server, script, random_garbage(64));
}

TEST_CASE("an HTTP request sent to the FastCGI port is closed and logged") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);

  expect_closed_and_logged(server, script, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

TEST_CASE("a client that closes after half a PARAMS record is dropped with a log line") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  CHECK(server.get(script, "who=before").body == "still here: before");
  size_t log_offset = server.process.log_size();

  int peer_port = 0;
  {
    auto connection = server.connect();
    peer_port = connection.local_port();
    std::string pairs = fcgi::encode_pairs(params_for(script));
    REQUIRE(pairs.size() > 200);
    std::string params = fcgi::record(fcgi::params, 1, pairs.substr(0, 200));
    std::string bytes =
        fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
    bytes +=
        params.substr(0, 8 + 100);  // the header promises 200 bytes; 100 follow, then we hang up
    connection.send_raw(bytes);
  }

  auto line = server.process.wait_for_log_line(
      [peer_port](std::string_view l) { return reports_dropped_connection(l, peer_port); }, 5s,
      log_offset);
  CHECK_MESSAGE(line.has_value(),
                "no WARNING/ERROR line about the connection closed mid-request (peer port ",
                peer_port, ")");
  expect_still_serving(server, script);
}

TEST_CASE("a client that closes between records of a request leaves the server serving") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);

  {
    auto connection = server.connect();
    std::string bytes =
        fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
    bytes += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script)));
    bytes += fcgi::record(fcgi::stdin_, 1, "partial body, never ended");
    connection.send_raw(bytes);
  }
  // One worker: if the abandoned request held it, this would time out.
  expect_still_serving(server, script);
}

TEST_CASE("a client that hangs up while its script runs leaves the worker serving") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("slow.php", "<?php usleep(300000); echo str_repeat('x', 200000);");
  auto script = server.script("echo.php", echo_php);

  {
    auto connection = server.connect();
    std::string bytes =
        fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
    bytes += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(slow)));
    bytes += fcgi::stream(fcgi::stdin_, 1, "");
    connection.send_raw(bytes);
    std::this_thread::sleep_for(50ms);  // the script is running now
  }
  expect_still_serving(server, script);
}

TEST_CASE("garbage on one connection does not disturb a request running on another") {
  ZfpmServer server({.workers = 2});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("slow.php", "<?php usleep(300000); echo 'slow done';");
  auto script = server.script("echo.php", echo_php);

  Response slow_response;
  std::string slow_error;
  std::jthread slow_client([&] {
    try {
      slow_response = server.connect().request(params_for(slow));
    } catch (const std::exception& e) {
      slow_error = e.what();
    }
  });
  std::this_thread::sleep_for(50ms);
  auto bad = server.connect();
  bad.send_raw(random_garbage(64));
  CHECK(bad.read_until_close(5s).closed());
  slow_client.join();

  CHECK(slow_error == "");
  CHECK(slow_response.body == "slow done");
  expect_still_serving(server, script);
}
