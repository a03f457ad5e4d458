// The slowlog without ptrace: a request running past request_slowlog_timeout writes php-fpm's
// entry (header, script_filename, zfpm's request line, frames) from its own worker thread, and
// the error log gets php-fpm's "executing too slow" line. One entry per request.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::string slowlog_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Waits (bounded) until the file holds `count` entries, each starting with a blank line.
std::string wait_for_entries(const std::string& path, std::size_t count) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = slowlog_text(path);
    std::size_t entries = 0;
    for (auto at = text.find("\n["); at != std::string::npos; at = text.find("\n[", at + 1)) {
      if (at == 0 || text[at - 1] == '\n') ++entries;
    }
    if (entries >= count) break;
    std::this_thread::sleep_for(100ms);
  }
  return text;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Line numbers matter below.
constexpr const char* nested_sleep_php =
    "<?php\n"                               // 1
    "function inner() {\n"                  // 2
    "  if (sleep(3)) echo 'cut short ';\n"  // 3: the trace signal must not wake it
    "}\n"                                   // 4
    "function outer() {\n"                  // 5
    "  inner();\n"                          // 6
    "}\n"                                   // 7
    "outer();\n"                            // 8
    "echo 'done';\n";                       // 9

constexpr const char* nested_busy_php =
    "<?php\n"                                   // 1
    "function spin($until) {\n"                 // 2
    "  while (microtime(true) < $until) { }\n"  // 3
    "}\n"                                       // 4
    "function work() {\n"                       // 5
    "  spin(microtime(true) + 2.5);\n"          // 6
    "}\n"                                       // 7
    "work();\n"                                 // 8
    "echo 'done';\n";                           // 9

}  // namespace

TEST_CASE("a request sleeping in nested functions gets one slowlog entry naming them") {
  TempDir logs;
  const std::string slowlog = logs.file("slow.log");
  ZfpmServer server(
      {.workers = 1, .pool_config = "slowlog = " + slowlog + "\nrequest_slowlog_timeout = 1s\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("nested.php", nested_sleep_php);

  auto response = server.get(script, "id=7");
  CHECK(response.body == "done");
  CHECK(response.app_status == 0);

  const std::string text = wait_for_entries(slowlog, 1);
  INFO("slowlog:\n", text);
  std::regex header(R"(^\n\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\]  \[pool www\] pid \d+\n)");
  CHECK(std::regex_search(text, header));
  CHECK(text.find("\nscript_filename = " + script + "\n") != std::string::npos);
  CHECK(text.find("\nrequest = GET /nested.php?id=7\n") != std::string::npos);
  // php-fpm's frame format: [0x<16 hex digits>] function() file:line-it-was-called-from.
  std::regex sleep_frame(R"(\n\[0x[0-9a-f]{16}\] sleep\(\) )" + std::string(".*nested\\.php:3\n"));
  std::regex inner_frame(R"(\n\[0x[0-9a-f]{16}\] inner\(\) )" + std::string(".*nested\\.php:6\n"));
  std::regex outer_frame(R"(\n\[0x[0-9a-f]{16}\] outer\(\) )" + std::string(".*nested\\.php:8\n"));
  CHECK(std::regex_search(text, sleep_frame));
  CHECK(std::regex_search(text, inner_frame));
  CHECK(std::regex_search(text, outer_frame));
  CHECK(count_of(text, "script_filename = ") == 1);

  CHECK(server.process.wait_for_log_line([&](std::string_view line) {
    return line.find("] WARNING: [pool www] child ") != std::string_view::npos &&
           line.find(", script '" + script +
                     "' (request: \"GET /nested.php?id=7\") executing too slow (") !=
               std::string_view::npos &&
           line.find(" sec), logging") != std::string_view::npos;
  }));
}

TEST_CASE("a busy request gets its entry from the VM's interrupt, the script goes on") {
  TempDir logs;
  const std::string slowlog = logs.file("slow.log");
  ZfpmServer server(
      {.workers = 1, .pool_config = "slowlog = " + slowlog + "\nrequest_slowlog_timeout = 1s\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("busy.php", nested_busy_php);

  auto response = server.get(script);
  CHECK(response.body == "done");
  const std::string text = wait_for_entries(slowlog, 1);
  INFO("slowlog:\n", text);
  CHECK(std::regex_search(text, std::regex(R"(\] spin\(\) .*busy\.php:6\n)")));
  CHECK(std::regex_search(text, std::regex(R"(\] work\(\) .*busy\.php:8\n)")));
  CHECK(count_of(text, "script_filename = ") == 1);

  // A second slow request is a second entry.
  CHECK(server.get(script).body == "done");
  CHECK(count_of(wait_for_entries(slowlog, 2), "script_filename = ") == 2);
}

TEST_CASE("request_slowlog_trace_depth limits the frames") {
  TempDir logs;
  const std::string slowlog = logs.file("slow.log");
  ZfpmServer server({.workers = 1,
                     .pool_config = "slowlog = " + slowlog +
                                    "\nrequest_slowlog_timeout = 1s\n"
                                    "request_slowlog_trace_depth = 2\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("nested.php", nested_sleep_php);
  CHECK(server.get(script).body == "done");
  const std::string text = wait_for_entries(slowlog, 1);
  INFO("slowlog:\n", text);
  CHECK(count_of(text, "] sleep() ") == 1);
  CHECK(count_of(text, "] inner() ") == 1);
  CHECK(count_of(text, "] outer() ") == 0);
}

TEST_CASE("a fast request leaves the slowlog empty") {
  TempDir logs;
  const std::string slowlog = logs.file("slow.log");
  ZfpmServer server(
      {.workers = 1, .pool_config = "slowlog = " + slowlog + "\nrequest_slowlog_timeout = 1s\n"});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("fast.php", "<?php echo 'ok';");
  for (int i = 0; i < 10; ++i) CHECK(server.get(script).body == "ok");
  std::this_thread::sleep_for(1500ms);
  CHECK(std::filesystem::exists(slowlog));  // created at startup, as php-fpm does
  CHECK(slowlog_text(slowlog).empty());
  CHECK(server.process.log().find("too slow") == std::string::npos);
}
