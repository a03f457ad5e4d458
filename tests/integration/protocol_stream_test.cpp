// Streams over raw sockets: a 16 MiB response, and requests that break the rules — truncated
// headers, a wrong version, lying CONTENT_LENGTH, oversized name-value lengths. Each gets its
// defined outcome, and the server keeps serving the others.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* echo_php = "<?php echo 'ok';";

std::string begin(std::uint8_t flags = 0) {
  return fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, flags));
}

void expect_serving(const ZfpmServer& server, const std::string& script) {
  CHECK(server.get(script).body == "ok");
}

}  // namespace

TEST_CASE("a 16 MiB response arrives whole, byte for byte") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "big.php", "<?php for ($i = 0; $i < 256; $i++) echo str_pad((string) $i, 65536, '.');");
  auto response = server.connect(30s).request(params_for(script));
  REQUIRE(response.body.size() == 16u << 20);
  for (int i = 0; i < 256; ++i) {
    std::string block = response.body.substr(static_cast<std::size_t>(i) << 16, 65536);
    std::string expected = std::to_string(i);
    expected.resize(65536, '.');
    if (block != expected) FAIL("block ", i, " differs");
  }
  CHECK(response.protocol_status == 0);
}

TEST_CASE("a record header cut short is a slow client: cut at --client-timeout") {
  ZfpmServer server({.workers = 1, .extra_args = {"--client-timeout", "1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  auto connection = server.connect();
  connection.send_raw(begin().substr(0, 5));
  expect_serving(server, script);
  CHECK(connection.read_until_close(5s).closed());
  CHECK(server.process.wait_for_log("request not complete after", 2s));
}

TEST_CASE("a record with version 2 closes that connection with the reason in the log") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  auto connection = server.connect();
  std::string record = begin();
  record[0] = 2;
  connection.send_raw(record);
  CHECK(connection.read_until_close(5s).closed());
  CHECK(server.process.wait_for_log("FastCGI protocol error: unsupported FastCGI version 2", 2s));
  expect_serving(server, script);
}

TEST_CASE("CONTENT_LENGTH larger than STDIN: PHP reads what came, smaller: only that much") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "len.php", "<?php $in = file_get_contents('php://input'); echo strlen($in), ':', $in;");
  HttpRequest post{.method = "POST", .content_type = "application/octet-stream"};
  post.content_length = 100;
  CHECK(server.connect().request(params_for(script, post), "only ten!!").body == "10:only ten!!");
  post.content_length = 4;
  CHECK(server.connect().request(params_for(script, post), "four and more").body == "4:four");
  expect_serving(server, server.script("echo.php", echo_php));
}

TEST_CASE("name-value lengths past the stream or over the limits close the connection") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", echo_php);
  struct Case {
    std::string pairs;
    std::string log;
  };
  const Case cases[] = {
      // A 4-byte name length of 2^31-1 in a 12-byte stream.
      {std::string("\xff\xff\xff\xff\x01", 5) + "ABCDEFG", "param name longer than 4096 bytes"},
      // A value length within the limit but past the end of the stream.
      {std::string("\x01\x80\x00\x10\x00", 5) + "Avalue", "name-value pair runs past the end"},
      // Names up to 4 KiB only.
      {fcgi::encode_pairs({{std::string(5000, 'N'), "v"}}), "param name longer than 4096 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.log);
    const std::size_t offset = server.process.log_size();
    auto connection = server.connect();
    connection.send_raw(begin() + fcgi::stream(fcgi::params, 1, c.pairs) +
                        fcgi::stream(fcgi::stdin_, 1, ""));
    CHECK(connection.read_until_close(5s).closed());
    CHECK(server.process.wait_for_log(c.log, 2s, offset));
    expect_serving(server, script);
  }
}
