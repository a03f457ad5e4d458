// Bodies larger than one FastCGI record cross in both directions whole and in order.
#include <doctest/doctest.h>

#include <cstdio>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// 131072 numbered 8-byte lines: 1 MiB where a lost, doubled or reordered record shows.
std::string numbered_lines(int count) {
  std::string out;
  out.reserve(static_cast<std::size_t>(count) * 8);
  char line[16];
  for (int i = 0; i < count; ++i) {
    std::snprintf(line, sizeof line, "%07d\n", i);
    out += line;
  }
  return out;
}

}  // namespace

TEST_CASE("a 1 MiB response arrives complete and in order, split into records") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("big.php", "<?php for ($i = 0; $i < 131072; $i++) printf(\"%07d\\n\", $i);");

  auto response = server.get(script);

  std::string expected = numbered_lines(131072);
  REQUIRE(expected.size() == 1024 * 1024);
  CHECK(response.status == 200);
  CHECK(response.body.size() == expected.size());
  CHECK(response.body == expected);
  CHECK(response.stdout_records >= 16);  // 1 MiB cannot fit in fewer records of <= 65535 bytes
}

TEST_CASE("a 1 MiB str_repeat response arrives complete") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("repeat.php", "<?php echo str_repeat('0123456789abcdef', 65536), 'END';");

  auto response = server.get(script);

  CHECK(response.body.size() == 1024 * 1024 + 3);
  CHECK(response.body.substr(0, 16) == "0123456789abcdef");
  CHECK(response.body.substr(response.body.size() - 3) == "END");
}

TEST_CASE("a 1 MiB request body reaches php://input whole") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo_body.php", "<?php echo file_get_contents('php://input');");
  std::string body = numbered_lines(131072);

  auto connection = server.connect();
  auto response = connection.request(params_for(script, {.method = "POST",
                                                         .content_type = "application/octet-stream",
                                                         .content_length = body.size()}),
                                     body);

  CHECK(response.status == 200);
  CHECK(response.body.size() == body.size());
  CHECK(response.body == body);
}

TEST_CASE("large responses on one keep-alive connection stay separate") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("sized.php", "<?php echo str_repeat($_GET['c'], (int)$_GET['n']);");

  auto connection = server.connect();
  const std::pair<char, int> sizes[] = {
      {'a', 65535}, {'b', 65536}, {'c', 200001}, {'d', 1}, {'e', 131070}};
  for (auto [letter, size] : sizes) {
    CAPTURE(size);
    auto response = connection.request(
        params_for(script, {.query = std::string("c=") + letter + "&n=" + std::to_string(size)}),
        {}, true);
    CHECK(response.body == std::string(static_cast<std::size_t>(size), letter));
  }
}

TEST_CASE(
    "output written to php://stderr or by error_log comes back on FCGI_STDERR, not in the body") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("stderr.php", "<?php error_log('something to log'); echo 'body only';");

  auto response = server.get(script);

  CHECK(response.body == "body only");
  // php-fpm (log_errors on, no error_log file) sends error_log() text to the web server via
  // FCGI_STDERR.
  CHECK(response.err.find("something to log") != std::string::npos);
}

TEST_CASE("a GET_VALUES answered while a large response waits for the reader stays whole") {
  ZfpmServer server({.workers = 1, .listen = {"unix"}});
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.start_large_write();
  connection.send_raw(
      fcgi::record(fcgi::get_values, 0, fcgi::encode_pairs({{"FCGI_MPXS_CONNS", ""}})));
  // The I/O thread answers it while the worker still waits for the socket: the answer has to
  // wait for the record being written, and comes before END_REQUEST.
  std::this_thread::sleep_for(300ms);
  std::string body;
  bool answered = false;
  for (int i = 0; i < 200; ++i) {  // at most 64 STDOUT records, the answer and END_REQUEST
    const auto record = connection.read_record();
    if (record.type == fcgi::get_values_result) {
      answered = true;
      CHECK(record.content == fcgi::encode_pairs({{"FCGI_MPXS_CONNS", "0"}}));
    } else if (record.type == fcgi::stdout_) {
      body += record.content;
    } else if (record.type == fcgi::end_request) {
      break;
    }
  }
  CHECK(answered);
  const std::size_t headers_end = body.find("\r\n\r\n");
  REQUIRE(headers_end != std::string::npos);
  CHECK(body.substr(headers_end + 4) == ZfpmServer::large_write_body());
}
