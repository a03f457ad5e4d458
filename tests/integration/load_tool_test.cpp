// zfpm-load, the project's FastCGI load generator and command-line client, against a real zfpm:
// --once answers like cgi-fcgi, a keep-alive run counts requests and no errors, 5xx answers are
// counted as status errors, requests left waiting at the end are counted as unanswered, and a
// closed port is exit code 1.
#include <doctest/doctest.h>

#include <string>

#include "process.hpp"
#include "socket.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* zfpm_load = ZFPM_LOAD_BINARY;

// The integer after "key": in zfpm-load's one-line JSON; -1 when the key is missing.
long long json_number(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + key.size() + 3));
}

}  // namespace

TEST_CASE("zfpm-load --once prints the script's answer, headers included, and its stderr") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("hello.php",
                    "<?php echo 'Hello, ', $_GET['name'], ' ', $_SERVER['REQUEST_METHOD'], ' ',"
                    " $_SERVER['SCRIPT_NAME'], ' ', file_get_contents('php://input');");

  auto result = run_command({zfpm_load, "--once", "-m", "POST", "-q", "name=load", "--body-size",
                             "3", server.address(), script});

  INFO("stderr: ", result.err);
  CHECK(result.status.clean());
  CHECK(result.out.find("Content-type: text/html") != std::string::npos);
  CHECK(result.out.ends_with("\r\n\r\nHello, load POST /hello.php xxx"));
}

TEST_CASE("zfpm-load --once exits 3 on a 500 answer") {
  ZfpmServer server;
  auto script = server.script("fail.php", "<?php http_response_code(500); echo 'broken';");

  auto result = run_command({zfpm_load, "--once", server.address(), script});

  CHECK(result.status.exited);
  CHECK(result.status.code == 3);
  CHECK(result.out.find("Status: 500") != std::string::npos);
}

TEST_CASE("a two-second keep-alive zfpm-load run counts requests and no errors") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("hello.php", "<?php echo 'Hello, World!';");

  auto result =
      run_command({zfpm_load, "-c", "4", "-k", "-d", "2", "--json", server.address(), script},
                  std::nullopt, {}, 30s);

  INFO("stdout: ", result.out, "\nstderr: ", result.err);
  CHECK(result.status.clean());
  CHECK(result.out.starts_with("{"));
  CHECK(result.out.find("}\n") != std::string::npos);
  CHECK(json_number(result.out, "requests") > 0);
  CHECK(json_number(result.out, "total") == 0);
  CHECK(json_number(result.out, "status_5xx") == 0);
  CHECK(json_number(result.out, "bytes_received") > 0);
  CHECK(json_number(result.out, "unanswered") == 0);
  for (const char* key : {"requests_per_s", "p50", "p90", "p99", "max", "duration_s"}) {
    CHECK_MESSAGE(result.out.find("\"" + std::string(key) + "\":") != std::string::npos, key);
  }
}

TEST_CASE("zfpm-load counts answers with status 503 as status errors, not protocol errors") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("busy.php", "<?php http_response_code(503); echo 'busy';");

  auto result = run_command({zfpm_load, "-c", "2", "-n", "50", "--json", server.address(), script},
                            std::nullopt, {}, 30s);

  INFO("stdout: ", result.out, "\nstderr: ", result.err);
  CHECK(result.status.clean());
  CHECK(json_number(result.out, "requests") == 50);
  CHECK(json_number(result.out, "status_5xx") == 50);
  CHECK(json_number(result.out, "protocol") == 0);
  CHECK(json_number(result.out, "connect") == 0);
}

TEST_CASE("zfpm-load counts requests still waiting after a second at the end as unanswered") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("slow.php", "<?php sleep(4); echo 'late';");

  auto result = run_command({zfpm_load, "-c", "2", "-k", "-d", "2", "--json", server.address(),
                             script},
                            std::nullopt, {}, 30s);

  INFO("stdout: ", result.out, "\nstderr: ", result.err);
  CHECK(json_number(result.out, "requests") == 0);
  CHECK(json_number(result.out, "total") == 0);  // not errors: the server may still answer
  CHECK(json_number(result.out, "unanswered") == 2);
}

TEST_CASE("zfpm-load against a closed port exits 1 at once with connect errors") {
  int port = free_tcp_port();

  auto result = run_command(
      {zfpm_load, "-c", "2", "-d", "30", "--json", "127.0.0.1:" + std::to_string(port), "/x.php"},
      std::nullopt, {}, 10s);

  INFO("stdout: ", result.out, "\nstderr: ", result.err);
  CHECK(result.status.exited);
  CHECK(result.status.code == 1);
  CHECK(json_number(result.out, "connect") == 2);
  CHECK(json_number(result.out, "requests") == 0);
}

TEST_CASE("zfpm-load rejects a bad command line with exit code 2") {
  auto result = run_command({zfpm_load, "-c", "0", "127.0.0.1:9000", "/x.php"});
  CHECK(result.status.code == 2);
  CHECK(result.err.find("invalid value for -c") != std::string::npos);
}
