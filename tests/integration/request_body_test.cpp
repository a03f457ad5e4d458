// Request bodies are read by the front end, kept in memory up to --body-memory-size and spooled
// to an unlinked temporary file beyond it; PHP reads them back whole. --max-body-size bounds them.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "fcgi_client.hpp"
#include "proc_status.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

std::string patterned(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 2463534242u;  // xorshift: no run of repeats for compression to hide
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string sha256(std::string_view data) {
  auto result = run_command({"/usr/bin/sha256sum"}, std::nullopt, data, 60s);
  REQUIRE(result.status.clean());
  return result.out.substr(0, 64);
}

// What PHP sees: the hash of php://input, its length, and the spool directory's entries.
constexpr const char* input_php =
    "<?php $n = count(scandir($_GET['spool'])) - 2;\n"
    "echo hash_file('sha256', 'php://input'), ' ', $_SERVER['CONTENT_LENGTH'], ' ', $n;";

HttpRequest post(std::size_t length, std::string query) {
  return {.method = "POST",
          .query = std::move(query),
          .content_type = "application/octet-stream",
          .content_length = length};
}

}  // namespace

TEST_CASE("a 64 MiB upload reaches php://input intact while zfpm's memory stays bounded") {
  TempDir spool;
  ZfpmServer server(
      {.workers = 2, .extra_args = {"--body-spool-dir", spool.path(), "-d", "post_max_size=0"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("input.php", input_php);
  const pid_t pid = server.pool_pid();
  REQUIRE(server.get(script, "spool=" + spool.path()).status == 200);  // warm up
  const std::size_t peak_before = vm_kib(pid, "VmHWM");

  const std::string body = patterned(64u << 20);
  auto connection = server.connect(60s);
  auto response =
      connection.request(params_for(script, post(body.size(), "spool=" + spool.path())), body);
  CHECK(response.status == 200);
  // The spool file was unlinked from the start: PHP saw an empty directory.
  CHECK(response.body == sha256(body) + " " + std::to_string(body.size()) + " 0");
  CHECK(std::filesystem::is_empty(spool.path()));
  // PHP copies php://input into its own temp stream too (2 MiB in memory, then a file); all in
  // all the 64 MiB never sit in zfpm's memory.
  const std::size_t growth = vm_kib(pid, "VmHWM") - peak_before;
  CAPTURE(growth);
  CHECK(growth < 24 * 1024);
}

TEST_CASE("a body at the memory threshold and one byte past it both read back exactly") {
  TempDir spool;
  ZfpmServer server(
      {.workers = 1, .extra_args = {"--body-spool-dir", spool.path(), "--body-memory-size", "4K"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("input.php", input_php);
  for (std::size_t size : {std::size_t{4096}, std::size_t{4097}, std::size_t{100000}}) {
    CAPTURE(size);
    const std::string body = patterned(size);
    auto response =
        server.connect().request(params_for(script, post(size, "spool=" + spool.path())), body);
    CHECK(response.body == sha256(body) + " " + std::to_string(size) + " 0");
  }
}

TEST_CASE("a body over --max-body-size is answered 413 with the reason, others go on") {
  ZfpmServer server({.workers = 1, .extra_args = {"--max-body-size", "1M"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("input.php", "<?php echo strlen(file_get_contents('php://input'));");
  CHECK(server.connect()
            .request(params_for(script, post(1 << 20, "")), std::string(1 << 20, 'x'))
            .body == std::to_string(1 << 20));

  auto connection = server.connect();
  const std::string body((1 << 20) + 1, 'x');
  std::string out =
      fcgi::record(fcgi::begin_request, 1, fcgi::begin_request_body(fcgi::responder, 0));
  out +=
      fcgi::stream(fcgi::params, 1, fcgi::encode_pairs(params_for(script, post(body.size(), ""))));
  out += fcgi::stream(fcgi::stdin_, 1, body);
  connection.send_raw(out);  // all of it is read, the part over the limit dropped
  auto answer = connection.read_until_close(5s);
  CHECK(answer.closed());
  // 413 with the reason, on STDOUT and STDERR, then END_REQUEST; the connection closes, as the
  // request did not ask to be kept.
  CHECK(answer.bytes.find("Status: 413 Content Too Large\r\n") != std::string::npos);
  CHECK(answer.bytes.find("STDIN stream larger than max_body_bytes (1048576 bytes)") !=
        std::string::npos);
  CHECK(answer.bytes.size() >= 16);
  CHECK(static_cast<unsigned char>(answer.bytes[answer.bytes.size() - 15]) == fcgi::end_request);
  CHECK(server.process.wait_for_log(
      "over a limit, answered 413: STDIN stream larger than max_body_bytes (1048576 bytes)", 5s));
  CHECK(server.connect().request(params_for(script, post(3, "")), "abc").body == "3");
}

// nginx's client_body_in_file_only passes the body as a file name (fpm_main.c:
// sapi_cgi_read_post): a non-empty REQUEST_BODY_FILE is read instead of STDIN, up to
// CONTENT_LENGTH.
constexpr const char* post_php =
    "<?php echo json_encode($_POST), ' ', file_get_contents('php://input');";

Params body_file_request(const std::string& script, std::size_t length, const std::string& file) {
  auto params = params_for(script, {.method = "POST",
                                    .content_type = "application/x-www-form-urlencoded",
                                    .content_length = length});
  set_param(params, "REQUEST_BODY_FILE", file);
  return params;
}

TEST_CASE(
    "REQUEST_BODY_FILE: the body comes from that file, not from STDIN, up to CONTENT_LENGTH") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("post.php", post_php);
  auto file = server.docroot.write("body.txt", "a=1&b=two&tail=ignored");

  auto from_file = server.connect().request(body_file_request(script, 9, file));
  CHECK(from_file.body == R"({"a":"1","b":"two"} a=1&b=two)");
  CHECK(from_file.err.empty());

  // Whatever came on STDIN is ignored, as php-fpm ignores it.
  auto both = server.connect().request(body_file_request(script, 9, file), "x=stdin!!");
  CHECK(both.body == R"({"a":"1","b":"two"} a=1&b=two)");

  // An empty value means STDIN.
  auto empty = server.connect().request(body_file_request(script, 9, ""), "x=stdin!!");
  CHECK(empty.body == R"({"x":"stdin!!"} x=stdin!!)");
}

TEST_CASE("REQUEST_BODY_FILE that cannot be opened: php-fpm's warning and no body") {
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "display_errors=0", "-d", "log_errors=1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("post.php", post_php);
  const std::string missing = server.docroot.file("no-such-body");

  auto response = server.connect().request(body_file_request(script, 9, missing), "x=stdin!!");
  INFO("stdout: ", response.out, "\nstderr: ", response.err);

  CHECK(response.status == 200);
  CHECK(response.body.starts_with("[] "));
  CHECK(response.err.find("PHP Warning:  REQUEST_BODY_FILE: open('" + missing +
                          "') failed: No such file or directory (2)") != std::string::npos);
}
