// multipart/form-data uploads as php-fpm handles them (main/rfc1867.c runs inside zfpm): every
// file byte for byte in upload_tmp_dir, move_uploaded_file() out of it, the per-file errors of
// upload_max_filesize and max_file_uploads, and nothing left in upload_tmp_dir afterwards.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "fcgi_client.hpp"
#include "sha256.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// Deterministic bytes of every value (xorshift), so CRLFs and "--" turn up inside the file.
std::string patterned(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x >> 11);
  }
  return out;
}

struct Part {
  std::string name;
  std::optional<std::string> filename{};  // a file part when set
  std::string content{};
};

constexpr std::string_view boundary = "----zfpmBoundary7MA4YWxkTrZu0gW";

std::string multipart(const std::vector<Part>& parts) {
  std::string body;
  for (const auto& part : parts) {
    body += "--" + std::string(boundary) + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + part.name + "\"";
    if (part.filename) {
      body += "; filename=\"" + *part.filename + "\"\r\nContent-Type: application/octet-stream";
    }
    body += "\r\n\r\n" + part.content + "\r\n";
  }
  body += "--" + std::string(boundary) + "--\r\n";
  return body;
}

Response post_multipart(const ZfpmServer& server, const std::string& script,
                        const std::string& body) {
  auto connection = server.connect(60s);
  return connection.request(
      params_for(script, {.method = "POST",
                          .content_type = "multipart/form-data; boundary=" + std::string(boundary),
                          .content_length = body.size()}),
      body);
}

// Entries of a directory (names only).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  return names;
}

// PHP removes upload files in sapi_deactivate_destroy(), after the SAPI's deactivate hook has sent
// END_REQUEST (main/SAPI.c; php-fpm's order too), so they may outlive the response by a moment.
bool becomes_empty(const std::string& dir, std::chrono::milliseconds bound = 2s) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!entries(dir).empty()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += n + " ";
  return out;
}

// One line per $_FILES entry: field|name|size|error|sha256 of tmp_name|in upload_tmp_dir?
constexpr const char* report_php = R"(<?php
foreach ($_FILES as $field => $f) {
  $hash = $f['error'] === UPLOAD_ERR_OK ? hash_file('sha256', $f['tmp_name']) : '-';
  $where = $f['tmp_name'] === '' ? '-' : (dirname($f['tmp_name']) === ini_get('upload_tmp_dir')
      && is_uploaded_file($f['tmp_name']) ? 'tmp' : 'elsewhere');
  echo "$field|{$f['name']}|{$f['size']}|{$f['error']}|$hash|$where\n";
}
foreach ($_POST as $k => $v) echo "post $k=", json_encode($v), "\n";
foreach (explode(',', $_GET['move'] ?? '') as $field) {
  if ($field === '') continue;
  $ok = move_uploaded_file($_FILES[$field]['tmp_name'], __DIR__ . "/moved-$field");
  echo "moved $field ", var_export($ok, true), "\n";
}
)";

}  // namespace

TEST_CASE("several files, one over 10 MiB, arrive byte for byte, move_uploaded_file keeps them") {
  TempDir uploads;
  ZfpmServer server({.extra_args = {"-d", "upload_tmp_dir=" + uploads.path(), "-d",
                                    "upload_max_filesize=16M", "-d", "post_max_size=64M"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("report.php", report_php);

  std::string big = patterned(10 * 1024 * 1024 + 12345, 2463534242u);
  std::string small = patterned(1000, 88172645u);
  // A file whose bytes look like the multipart syntax around them.
  std::string tricky = "\r\n--" + std::string(boundary.substr(0, 10)) + "\r\n\r\n--\r";
  auto body = multipart({
      {.name = "title", .content = "quarterly report"},
      {.name = "big", .filename = "big.bin", .content = big},
      {.name = "tags[]", .content = "a"},
      {.name = "small", .filename = "small.dat", .content = small},
      {.name = "tags[]", .content = "b c"},
      {.name = "tricky", .filename = "tricky.txt", .content = tricky},
      {.name = "none", .filename = "", .content = ""},  // a file input left empty
  });

  auto connection = server.connect(60s);
  auto response = connection.request(
      params_for(script, {.method = "POST",
                          .query = "move=big,tricky",
                          .content_type = "multipart/form-data; boundary=" + std::string(boundary),
                          .content_length = body.size()}),
      body);

  CHECK(response.status == 200);
  CHECK(response.err == "");
  CHECK(response.body == "big|big.bin|" + std::to_string(big.size()) + "|0|" + sha256_hex(big) +
                             "|tmp\n" + "small|small.dat|1000|0|" + sha256_hex(small) + "|tmp\n" +
                             "tricky|tricky.txt|" + std::to_string(tricky.size()) + "|0|" +
                             sha256_hex(tricky) + "|tmp\n" +
                             "none||0|4|-|-\n"
                             "post title=\"quarterly report\"\n"
                             "post tags=[\"a\",\"b c\"]\n"
                             "moved big true\n"
                             "moved tricky true\n");
  // The moved files are on disk whole; the one left in place was removed with the request.
  CHECK(sha256_hex(read_file(server.docroot.file("moved-big"))) == sha256_hex(big));
  CHECK(read_file(server.docroot.file("moved-tricky")) == tricky);
  CHECK_MESSAGE(becomes_empty(uploads.path()),
                "left in upload_tmp_dir: ", join(entries(uploads.path())));
}

TEST_CASE("a file over upload_max_filesize gets UPLOAD_ERR_INI_SIZE, the others still arrive") {
  TempDir uploads;
  ZfpmServer server({.extra_args = {"-d", "upload_tmp_dir=" + uploads.path(), "-d",
                                    "upload_max_filesize=1M", "-d", "post_max_size=8M"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("report.php", report_php);

  std::string before = patterned(1024 * 1024, 1u);  // exactly the limit: allowed
  std::string over = patterned(1024 * 1024 + 1, 2u);
  std::string after = patterned(5000, 3u);
  auto body = multipart({
      {.name = "before", .filename = "before.bin", .content = before},
      {.name = "over", .filename = "over.bin", .content = over},
      {.name = "after", .filename = "after.bin", .content = after},
      {.name = "field", .content = "kept"},
  });

  auto response = post_multipart(server, script, body);

  CHECK(response.status == 200);
  CHECK(response.body == "before|before.bin|1048576|0|" + sha256_hex(before) + "|tmp\n" +
                             "over|over.bin|0|1|-|-\n" +  // UPLOAD_ERR_INI_SIZE
                             "after|after.bin|5000|0|" + sha256_hex(after) + "|tmp\n" +
                             "post field=\"kept\"\n");
  CHECK_MESSAGE(becomes_empty(uploads.path()),
                "left in upload_tmp_dir: ", join(entries(uploads.path())));
}

TEST_CASE("max_file_uploads: files past the limit are skipped with PHP's warning") {
  TempDir uploads;
  // As in php-fpm, the warning is a startup error: hidden by display_startup_errors=0, not logged
  // without log_errors, and left for error_get_last().
  ZfpmServer server({.extra_args = {"-d", "upload_tmp_dir=" + uploads.path(), "-d",
                                    "max_file_uploads=2", "-d", "display_startup_errors=0"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "report.php", std::string(report_php) + "echo error_get_last()['message'] ?? 'none';");

  std::vector<Part> parts;
  std::vector<std::string> contents;
  for (int i = 0; i < 4; ++i) {
    contents.push_back(patterned(100 + i, 10u + i));
    parts.push_back({.name = "f" + std::to_string(i),
                     .filename = "f" + std::to_string(i) + ".bin",
                     .content = contents.back()});
  }
  parts.push_back({.name = "field", .content = "after the files"});

  auto response = post_multipart(server, script, multipart(parts));

  CHECK(response.status == 200);
  CHECK(response.body == "f0|f0.bin|100|0|" + sha256_hex(contents[0]) + "|tmp\n" +
                             "f1|f1.bin|101|0|" + sha256_hex(contents[1]) + "|tmp\n" +
                             "post field=\"after the files\"\n"
                             "Maximum number of allowable file uploads has been exceeded");
  CHECK_MESSAGE(becomes_empty(uploads.path()),
                "left in upload_tmp_dir: ", join(entries(uploads.path())));
}

TEST_CASE("uploads on one keep-alive connection leave nothing behind, request after request") {
  TempDir uploads;
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "upload_tmp_dir=" + uploads.path()}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("report.php", report_php);

  auto connection = server.connect();
  for (int i = 0; i < 20; ++i) {
    std::string content = patterned(3000 + i, 100u + i);
    auto body = multipart({{.name = "f", .filename = "f.bin", .content = content}});
    auto response = connection.request(
        params_for(script,
                   {.method = "POST",
                    .content_type = "multipart/form-data; boundary=" + std::string(boundary),
                    .content_length = body.size()}),
        body, /*keep_conn=*/true);
    REQUIRE(response.body ==
            "f|f.bin|" + std::to_string(content.size()) + "|0|" + sha256_hex(content) + "|tmp\n");
  }
  CHECK_MESSAGE(becomes_empty(uploads.path()),
                "left in upload_tmp_dir: ", join(entries(uploads.path())));
}
