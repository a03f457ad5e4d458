// access.log and access.format as php-fpm writes them (fpm_log.c): lines compared field by field,
// every % code, access.suppress_path, the line written before shutdown functions run, and whole
// lines from concurrent workers.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Waits until the log has `count` lines (the line is written as the request ends).
std::vector<std::string> wait_for_lines(const std::string& path, std::size_t count) {
  std::vector<std::string> lines;
  for (int attempt = 0; attempt < 200; ++attempt) {
    lines = read_lines(path);
    if (lines.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return lines;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

}  // namespace

TEST_CASE("the default access.format: peer IP, empty user, start time, method, SCRIPT_NAME, status") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server({.workers = 2, .pool_config = "access.log = " + log + "\n"});
  INFO("zfpm log:\n", server.process.log());
  const auto script = server.script("hello.php", "<?php http_response_code(202); echo 'hi';");
  REQUIRE(server.get(script, "x=1").status == 202);
  auto lines = wait_for_lines(log, 1);
  REQUIRE(lines.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(
      lines[0], m,
      std::regex(R"re((\S+) - (\S*) (\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}) "(\S+) (\S+)" (\d+))re")));
  CHECK(m[1] == "127.0.0.1");
  CHECK(m[2] == "");  // %u: no PHP_AUTH_USER
  CHECK(m[4] == "GET");
  CHECK(m[5] == "/hello.php");  // %r is SCRIPT_NAME: no query
  CHECK(m[6] == "202");
}

TEST_CASE("every access.format code prints php-fpm's value") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server(
      {.workers = 1,
       .pool_config = "access.log = " + log + "\n" +
                      "access.format = \"%C|%{user}C|%d|%{milli}d|%{micro}d|%{HTTP_HOST}e|"
                      "%{NOPE}e|%f|%l|%m|%M|%{kilo}M|%n|%{X-Test}o|%{X-None}o|%p|%P|%q|%Q|%r|%R|"
                      "%s|%t|%T|%{%s}t|%u|%%\"\n"});
  INFO("zfpm log:\n", server.process.log());
  const auto script = server.script(
      "all.php", "<?php header('X-Test: yes'); http_response_code(201); echo getmypid();");
  auto connection = server.connect();
  auto response = connection.request(
      params_for(script, {.method = "POST",
                          .query = "a=b",
                          .content_type = "text/plain",
                          .content_length = 3,
                          .headers = {{"Host", "example.org"},
                                      {"Authorization", "Basic YWxpY2U6c2VjcmV0"}}}),
      "abc");
  REQUIRE(response.status == 201);
  auto lines = wait_for_lines(log, 1);
  REQUIRE(lines.size() == 1);
  const auto f = split(lines[0], '|');
  REQUIRE(f.size() == 27);
  const std::regex fixed2(R"(\d+\.\d\d)"), fixed3(R"(\d+\.\d\d\d)"), integer(R"(\d+)");
  CHECK(std::regex_match(f[0], fixed2));
  CHECK(std::regex_match(f[1], fixed2));
  CHECK(std::regex_match(f[2], fixed3));
  CHECK(std::regex_match(f[3], fixed3));
  CHECK(std::regex_match(f[4], integer));
  CHECK(std::stod(f[3]) * 1000 == doctest::Approx(std::stod(f[4])).epsilon(0.01));
  CHECK(f[5] == "example.org");
  CHECK(f[6] == "-");
  CHECK(f[7] == script);
  CHECK(f[8] == "3");
  CHECK(f[9] == "POST");
  CHECK(std::stoul(f[10]) > 100000);  // PHP's peak memory: at least the engine's own
  CHECK(std::stoul(f[11]) == std::stoul(f[10]) / 1024);
  CHECK(f[12] == "www");
  CHECK(f[13] == "yes");
  CHECK(f[14] == "-");
  CHECK(f[15] == response.body);  // %p: the process that ran the script
  CHECK(std::regex_match(f[16], integer));
  CHECK(f[17] == "a=b");
  CHECK(f[18] == "?");
  CHECK(f[19] == "/all.php");
  CHECK(f[20] == "127.0.0.1");
  CHECK(f[21] == "201");
  CHECK(std::regex_match(f[22], std::regex(R"(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})")));
  CHECK(std::regex_match(f[24], integer));
  CHECK(f[25] == "alice");
  CHECK(f[26] == "%");
}

TEST_CASE("access.suppress_path drops only successful GET/HEAD hits without query or body") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server({.workers = 1,
                     .pool_config = "access.log = " + log + "\naccess.format = \"%m %r%Q%q %s\"\n" +
                                    "access.suppress_path[] = /quiet.php\n"});
  INFO("zfpm log:\n", server.process.log());
  const auto quiet = server.script("quiet.php", "<?php echo 'ok';");
  server.get(quiet);
  server.connect().request(params_for(quiet, {.method = "HEAD"}));
  server.get(quiet, "x=1");
  server.connect().request(params_for(quiet, {.method = "POST", .content_length = 2}), "ab");
  server.get(server.script("other.php", "<?php echo 1;"));
  auto lines = wait_for_lines(log, 3);
  CHECK(lines == std::vector<std::string>{"GET /quiet.php?x=1 200", "POST /quiet.php 200",
                                          "GET /other.php 200"});
}

TEST_CASE("the line is written when the script ends, before shutdown functions run") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server({.workers = 1, .pool_config = "access.log = " + log +
                                                  "\naccess.format = \"line %r\"\n"});
  const auto script = server.script(
      "s.php", "<?php register_shutdown_function(function () { file_put_contents('" + log +
                   "', \"shutdown\\n\", FILE_APPEND); }); echo 'x';");
  server.get(script);
  auto lines = wait_for_lines(log, 2);
  CHECK(lines == std::vector<std::string>{"line /s.php", "shutdown"});
}

TEST_CASE("long lines from concurrent workers arrive whole, one per request") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server({.workers = 4, .pool_config = "access.log = " + log +
                                                  "\naccess.format = \"%q\"\n"});
  const auto script = server.script("q.php", "<?php echo 'ok';");
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 10; ++i) {
        server.get(script, "v=" + std::string(3000, static_cast<char>('a' + c)));
      }
    });
  }
  for (auto& client : clients) client.join();
  auto lines = wait_for_lines(log, 40);
  REQUIRE(lines.size() == 40);
  for (const auto& line : lines) {
    REQUIRE(line.size() == 3002);
    CHECK(line.find_first_not_of(line[2], 2) == std::string::npos);
  }
}

TEST_CASE("over a Unix socket %R is '-', status and ping requests are logged too") {
  TempDir logs;
  const std::string log = logs.file("access.log");
  ZfpmServer server({.workers = 1,
                     .listen = {"unix"},
                     .pool_config = "access.log = " + log +
                                    "\naccess.format = \"%R %r %s\"\nping.path = /ping\n"});
  INFO("zfpm log:\n", server.process.log());
  REQUIRE(server.get(server.docroot.file("ping")).body == "pong");
  auto lines = wait_for_lines(log, 1);
  CHECK(lines == std::vector<std::string>{"- /ping 200"});
}

TEST_CASE("an invalid access.format is refused with php-fpm's message") {
  TempDir dir;
  auto config = dir.write("php-fpm.conf", "[global]\nerror_log = " + dir.file("error.log") +
                                              "\n[www]\nlisten = 127.0.0.1:9\npm = static\n"
                                              "pm.max_children = 1\naccess.log = " +
                                              dir.file("access.log") +
                                              "\naccess.format = \"%Z\"\n");
  auto result = run_command({zfpm_binary(), "-t", "-R", "-n", "-y", config});
  const std::string output = result.out + result.err;
  INFO(output);
  CHECK(result.status.exited);
  CHECK(result.status.code == 78);
  CHECK(output.find("WARNING: Invalid token in the access.format (%Z)") != std::string::npos);
  CHECK(output.find("ERROR: [pool www] wrong format for access.format '%Z'") !=
        std::string::npos);
  CHECK(output.find("ERROR: FPM initialization failed") != std::string::npos);
}
