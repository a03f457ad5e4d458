// Timeouts and limits on the front end: a slow or silent client, an idle keep-alive connection
// and a client that stops reading its response are each cut with a log line, and nobody else
// notices.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* echo_php = "<?php echo 'ok ' . ($_GET['i'] ?? '');";

std::string whole_request(const std::string& script, bool keep_conn = false) {
  std::string out =
      fcgi::record(fcgi::begin_request, 1,
                   fcgi::begin_request_body(fcgi::responder, keep_conn ? fcgi::keep_conn_flag : 0));
  out += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script)));
  out += fcgi::stream(fcgi::stdin_, 1, "");
  return out;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("a client dribbling a byte a second is cut at --client-timeout, others are served") {
  ZfpmServer server({.workers = 1, .extra_args = {"--client-timeout", "2"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  const std::string bytes = whole_request(script);

  auto slow = server.connect();
  const auto start = Clock::now();
  bool cut = false;
  double cut_after = 0;
  // At most 10 bytes at one a second: the server must close long before they are all sent.
  for (std::size_t i = 0; i < 10 && !cut; ++i) {
    try {
      slow.send_raw(bytes.substr(i, 1));
    } catch (const TestError&) {
      cut = true;
      break;
    }
    if (i == 1) {
      // Meanwhile a normal request on the only worker goes through.
      CHECK(server.get(script, "i=normal").body == "ok normal");
    }
    auto read = slow.read_until_close(1s);
    if (read.closed()) cut = true;
  }
  cut_after = seconds_since(start);
  CHECK(cut);
  CHECK(cut_after >= 1.5);
  CHECK(cut_after < 6);
  CHECK(server.process.wait_for_log("request not complete after", 2s));
  CHECK(server.get(script, "i=after").body == "ok after");
}

TEST_CASE("a connection that never sends a byte is closed at --client-timeout") {
  ZfpmServer server({.workers = 1, .extra_args = {"--client-timeout", "1"}});
  INFO("zfpm log:\n", server.process.log());
  auto silent = server.connect();
  const auto start = Clock::now();
  auto read = silent.read_until_close(5s);
  CHECK(read.closed());
  CHECK(seconds_since(start) >= 0.8);
  CHECK(server.process.wait_for_log("0 bytes received", 2s));
}

TEST_CASE("an idle keep-alive connection is closed at --idle-timeout with a debug line") {
  ZfpmServer server(
      {.workers = 1,
       .extra_args = {"--idle-timeout", "1", "--client-timeout", "30", "--log-level", "debug"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  auto connection = server.connect();
  const auto start = Clock::now();
  CHECK(connection.request(params_for(script), {}, true).body == "ok ");
  auto read = connection.read_until_close(5s);
  CHECK(read.closed());
  CHECK(read.bytes.empty());
  CHECK(seconds_since(start) >= 0.8);
  CHECK(server.process.wait_for_log("closing idle keep-alive connection", 2s));
}

TEST_CASE("a client that stops reading its response is cut and its worker freed") {
  ZfpmServer server({.workers = 1, .extra_args = {"--client-timeout", "2"}});
  INFO("zfpm log:\n", server.process.log());
  auto big =
      server.script("big.php", "<?php for ($i = 0; $i < 256; $i++) echo str_repeat('x', 65536);");
  auto script = server.script("echo.php", echo_php);

  auto reader = server.connect();
  reader.send_raw(whole_request(big));
  // Never read: the socket buffer fills, the worker waits on it, and after --client-timeout
  // without progress the connection is cut, which frees the worker.
  CHECK(server.process.wait_for_log("response not read for 2 seconds", 8s));
  CHECK(server.get(script, "i=next").body == "ok next");
}

TEST_CASE("params over --max-params: 431 with the reason, in the answer and in the log") {
  ZfpmServer server({.workers = 1, .extra_args = {"--max-params", "5"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  auto connection = server.connect();
  // params_for sends 19 params; the connection is kept, as the request asked.
  auto refused = connection.request(params_for(script), {}, true);
  CHECK(refused.protocol_status == 0);
  CHECK(refused.status == 431);
  CHECK(refused.body == "zfpm: request over a limit: too many params (limit 5)\n");
  CHECK(refused.err == "zfpm: request over a limit: too many params (limit 5)");
  CHECK(server.process.wait_for_log("over a limit, answered 431: too many params (limit 5)", 2s));
  // The same connection serves the next request.
  CHECK(connection.request({{"SCRIPT_FILENAME", script}, {"REQUEST_METHOD", "GET"}}).body == "ok ");

  // Within the limit, a request goes through.
  auto ok = server.connect().request({{"SCRIPT_FILENAME", script}, {"REQUEST_METHOD", "GET"}});
  CHECK(ok.body == "ok ");
}
