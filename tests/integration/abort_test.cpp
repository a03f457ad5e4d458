// FCGI_ABORT_REQUEST while a script runs, and a client that hangs up mid-response: the script
// learns it at its next output (connection_aborted(), ignore_user_abort() honoured), the request
// ends with END_REQUEST, and the server keeps serving.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <filesystem>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

struct Record {
  unsigned type;
  std::string content;
  std::size_t size;  // on the wire: header, content and padding
};

// Splits raw server bytes into records; a truncated tail is left out.
std::vector<Record> records(std::string_view bytes) {
  std::vector<Record> out;
  std::size_t pos = 0;
  while (bytes.size() - pos >= 8) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[pos + i]); };
    std::size_t length = (byte(4) << 8) | byte(5);
    std::size_t total = 8 + length + byte(6);
    if (bytes.size() - pos < total) break;
    out.push_back({byte(1), std::string(bytes.substr(pos + 8, length)), total});
    pos += total;
  }
  return out;
}

std::string request_bytes(const std::string& script) {
  std::string out =
      fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
  out += fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script)));
  out += fcgi::stream(fcgi::stdin_, 1, "");
  return out;
}

// Sleeps, then writes and flushes: the first moment it can learn of the abort.
std::string abort_php(bool ignore) {
  return std::string("<?php ignore_user_abort(") + (ignore ? "true" : "false") +
         ");\n"
         "usleep(400000);\n"
         "echo 'x'; flush();\n"
         "file_put_contents(__DIR__ . '/aborted.txt', (string) connection_aborted());\n"
         "echo 'after';";
}

}  // namespace

TEST_CASE("ABORT_REQUEST: with ignore_user_abort the script runs on and sees connection_aborted") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("abort.php", abort_php(true));
  auto connection = server.connect();
  connection.send_raw(request_bytes(script));
  std::this_thread::sleep_for(100ms);  // the script is sleeping now
  connection.send_raw(fcgi::record(fcgi::abort_request, 1, ""));
  auto answer = connection.read_until_close(5s);
  CHECK(answer.closed());
  auto got = records(answer.bytes);
  REQUIRE_FALSE(got.empty());
  CHECK(got.back().type == fcgi::end_request);
  REQUIRE(got.back().content.size() == 8);
  CHECK(got.back().content[4] == 0);  // FCGI_REQUEST_COMPLETE
  CHECK(read_file(server.docroot.file("aborted.txt")) == "1");
  CHECK(server.get(server.script("echo.php", "<?php echo 'ok';")).body == "ok");
}

TEST_CASE("ABORT_REQUEST: without ignore_user_abort the script stops at its next output") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("abort.php", abort_php(false));
  auto connection = server.connect();
  connection.send_raw(request_bytes(script));
  std::this_thread::sleep_for(100ms);
  connection.send_raw(fcgi::record(fcgi::abort_request, 1, ""));
  auto answer = connection.read_until_close(5s);
  auto got = records(answer.bytes);
  REQUIRE_FALSE(got.empty());
  CHECK(got.back().type == fcgi::end_request);
  CHECK_FALSE(std::filesystem::exists(server.docroot.file("aborted.txt")));
  CHECK(server.get(server.script("echo.php", "<?php echo 'ok';")).body == "ok");
}

TEST_CASE("a client closing after a few KB of a 16 MiB response leaves the server serving") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto big =
      server.script("big.php",
                    "<?php ignore_user_abort(true);\n"
                    "for ($i = 0; $i < 256; $i++) { echo str_repeat('y', 65536); flush(); }\n"
                    "file_put_contents(__DIR__ . '/aborted.txt', (string) connection_aborted());");
  {
    auto connection = server.connect();
    connection.send_raw(request_bytes(big));
    char buffer[4096];
    std::size_t got = 0;
    for (int i = 0; i < 100 && got < 8192; ++i) {
      ssize_t n = ::recv(connection.fd(), buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    CHECK(got >= 8192);
  }  // closed with most of the response unread
  // The script ran to its end (ignore_user_abort) knowing the client left.
  for (int i = 0; i < 100 && !std::filesystem::exists(server.docroot.file("aborted.txt")); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(read_file(server.docroot.file("aborted.txt")) == "1");
  CHECK(server.get(server.script("echo.php", "<?php echo 'ok';")).body == "ok");
}

TEST_CASE("ABORT_REQUEST in the middle of a large write on a kept connection closes it") {
  ZfpmServer server({.workers = 1, .listen = {"unix"}});
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.start_large_write();  // request 2, through the I/O thread
  connection.send_raw(fcgi::record(fcgi::abort_request, 2, ""));
  std::this_thread::sleep_for(300ms);
  // The record being written was cut: whatever came after it would be read as its rest, so the
  // connection ends there instead of being kept with an END_REQUEST after a torn record.
  auto answer = connection.read_until_close(5s);
  CHECK(answer.closed());
  std::size_t whole = 0;
  for (const auto& record : records(answer.bytes)) {
    CHECK(record.type == fcgi::stdout_);
    whole += record.size;
  }
  CHECK(whole < answer.bytes.size());  // the stream stops inside a record
  CHECK(server.get(server.docroot.file("small.php")).body == "first");
}
