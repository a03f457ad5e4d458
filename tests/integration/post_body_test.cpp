// A POST body zfpm holds in memory reaches $_POST and php://input through a memory stream, not
// through PHP's temp stream that spills to a file in upload_tmp_dir past 16 KiB
// (php/post_body.hpp). What PHP's own reader does stays: post_max_size, its warning, spooled
// bodies, CONTENT_LENGTH as the bound.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// $_POST's size, the length of data=, php://input read twice, and the files PHP has open in
// upload_tmp_dir while the script runs (its temp stream's file lives until the request ends).
constexpr const char* form_php =
    "<?php $tmp = array_diff(scandir(ini_get('upload_tmp_dir')), ['.', '..']);\n"
    "echo count($_POST), ' ', strlen($_POST['data'] ?? ''), ' ',"
    " strlen(file_get_contents('php://input')), ' ', strlen(file_get_contents('php://input')),"
    " ' ', count($tmp);";

std::string form_body(std::size_t value_length) { return "data=" + std::string(value_length, 'a'); }

Response post(ZfpmServer& server, const std::string& script, const std::string& type,
              const std::string& body, std::size_t content_length) {
  return server.connect().request(
      params_for(script,
                 {.method = "POST", .content_type = type, .content_length = content_length}),
      body);
}

}  // namespace

TEST_CASE("a form body held in memory reaches $_POST and php://input with no temp file") {
  TempDir tmp;
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "upload_tmp_dir=" + tmp.path()}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", form_php);
  const std::string body = form_body(200000);
  const std::string size = std::to_string(body.size());

  SUBCASE("urlencoded") {
    auto response = post(server, script, "application/x-www-form-urlencoded", body, body.size());
    CHECK(response.body == "1 200000 " + size + " " + size + " 0");
  }
  SUBCASE("a type PHP has no handler for: php://input only") {
    auto response = post(server, script, "application/json", body, body.size());
    CHECK(response.body == "0 0 " + size + " " + size + " 0");
  }
  SUBCASE("CONTENT_LENGTH shorter than STDIN: PHP sees CONTENT_LENGTH bytes") {
    auto response = post(server, script, "application/x-www-form-urlencoded", body, 1005);
    CHECK(response.body == "1 1000 1005 1005 0");
  }
}

TEST_CASE("mbstring.encoding_translation keeps its handler and the memory stream") {
  TempDir tmp;
  ZfpmServer server({.workers = 1,
                     .extra_args = {"-d", "upload_tmp_dir=" + tmp.path(), "-d",
                                    "mbstring.encoding_translation=1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", form_php);
  const std::string body = form_body(100000);
  const std::string size = std::to_string(body.size());
  for (int i = 0; i < 2; ++i) {  // the setting is restored after each request: still in place
    auto response = post(server, script, "application/x-www-form-urlencoded", body, body.size());
    CHECK(response.body == "1 100000 " + size + " " + size + " 0");
  }
}

TEST_CASE("a spooled body goes through PHP's own reader and its temp stream") {
  TempDir tmp;
  ZfpmServer server(
      {.workers = 1,
       .extra_args = {"-d", "upload_tmp_dir=" + tmp.path(), "--body-memory-size", "64K"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", form_php);
  const std::string body = form_body(200000);
  const std::string size = std::to_string(body.size());
  auto response = post(server, script, "application/x-www-form-urlencoded", body, body.size());
  CHECK(response.body == "1 200000 " + size + " " + size + " 1");
}

TEST_CASE(
    "a body over post_max_size: PHP's warning and no $_POST, while php://input still reads it") {
  TempDir tmp;
  ZfpmServer server({.workers = 1,
                     .extra_args = {"-d", "upload_tmp_dir=" + tmp.path(), "-d", "post_max_size=1K",
                                    "-d", "display_errors=0", "-d", "log_errors=1"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", form_php);
  const std::string body = form_body(5000);
  auto response = post(server, script, "application/x-www-form-urlencoded", body, body.size());
  INFO("stderr: ", response.err);
  CHECK(response.status == 200);
  // As in php-fpm: PHP's reader stops at the warning, and php://input reads the body lazily.
  CHECK(response.body == "0 0 5005 5005 0");
  CHECK(response.err.find("POST Content-Length of 5005 bytes exceeds the limit of 1024 bytes") !=
        std::string::npos);
}

TEST_CASE("a body large against memory_limit goes through PHP's reader, which keeps 16 KiB") {
  TempDir tmp;
  ZfpmServer server({.workers = 1,
                     .extra_args = {"-d", "upload_tmp_dir=" + tmp.path(), "-d", "memory_limit=8M",
                                    "--body-memory-size", "4M"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("form.php", form_php);
  // A quarter of what the script has left (8 MiB less what PHP uses) is about 1.9 MiB.
  for (const auto& [size, files] :
       {std::pair{std::size_t{1000000}, "0"}, std::pair{std::size_t{3000000}, "1"}}) {
    CAPTURE(size);
    const std::string body(size, 'j');
    auto response = post(server, script, "application/json", body, body.size());
    const std::string length = std::to_string(size);
    CHECK(response.body == "0 0 " + length + " " + length + " " + files);
  }
}
