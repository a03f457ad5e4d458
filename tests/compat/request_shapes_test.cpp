// The same FastCGI request to zfpm and to Debian's php-fpm 8.2 must give the same answer: status,
// headers, body and stderr, where the body is a JSON dump of what the script saw ($_SERVER, $_GET,
// $_POST, $_COOKIE, $_FILES, php://input, getallheaders()). Only what cannot match is left out:
// request times, pids, tmp_name, and the PHP version in X-Powered-By.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <sstream>

#include "fcgi_client.hpp"
#include "php_fpm.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* dump_php = R"(<?php
// USER is set by php-fpm for its children from the pool's `user` (fpm_env_init_child), not by
// PHP; the rest are times.
function without_times(array $a): array {
  unset($a['REQUEST_TIME'], $a['REQUEST_TIME_FLOAT'], $a['USER']);
  return $a;
}
$files = $_FILES;
foreach ($files as &$f) {
  if (is_array($f['tmp_name'])) {
    array_walk_recursive($f['tmp_name'], function (&$v) { $v = $v === '' ? '' : 'set'; });
  } else {
    $f['tmp_name'] = $f['tmp_name'] === '' ? '' : 'set';
  }
}
unset($f);
echo json_encode([
  'server' => without_times($_SERVER),
  'env' => without_times($_ENV),
  'get' => $_GET,
  'post' => $_POST,
  'cookie' => $_COOKIE,
  'files' => $files,
  'request' => $_REQUEST,
  'input' => file_get_contents('php://input'),
  'headers' => getallheaders(),
  'cwd' => getcwd(),
  'file' => __FILE__,
  'getenv' => [getenv('SCRIPT_NAME'), getenv('PATH_INFO'), getenv('HTTP_HOST'), getenv('HOME')],
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
)";

constexpr const char* headers_php = R"(<?php
setcookie('plain', 'a b');
setcookie('opts', 'v', ['expires' => 2000000000, 'path' => '/p', 'secure' => true,
  'httponly' => true, 'samesite' => 'Lax']);
setrawcookie('raw', 'x%20y');
header('X-One: 1');
header('X-Multi: a', false);
header('X-Multi: b', false);
header('X-Replaced: old');
header('X-Replaced: new');
switch ($_GET['case'] ?? '') {
  case 'location': header('Location: /elsewhere'); break;
  case 'location-201': header('Location: /made', true, 201); break;
  case 'status-line': header('HTTP/1.1 404 Not Found'); break;
  case 'status-header': header('Status: 410 Gone'); break;
  case 'teapot': http_response_code(418); break;
  case 'not-modified': http_response_code(304); break;
  case 'no-content-type': header('Content-Type:'); break;
  case 'json': header('Content-Type: application/json'); break;
  case 'remove': header_remove('X-One'); break;
}
echo 'body ', $_GET['case'] ?? '';
)";

struct Answer {
  std::string text;  // status, sorted headers, body, stderr: one comparable, printable string
};

Answer normalize(const Response& r) {
  // A cookie's Max-Age is its expiry less the second PHP answers in: the two servers answer one
  // after the other, sometimes either side of a second. Its expiry is compared as it is.
  static const std::regex max_age(R"(Max-Age=\d+)");
  std::vector<std::string> headers;
  for (const auto& [name, value] : r.headers) {
    if (CaseInsensitiveLess{}(name, "X-Powered-By") || CaseInsensitiveLess{}("X-Powered-By", name))
      headers.push_back(name + ": " + std::regex_replace(value, max_age, "Max-Age=(seconds)"));
  }
  std::sort(headers.begin(), headers.end());
  std::string text = "status " + std::to_string(r.status) +
                     (r.has_header_block ? "" : " (no header block)") + "\n";
  for (const auto& h : headers) text += h + "\n";
  text += "\n" + r.body + "\n--- stderr: " + r.err + "\n--- protocol status " +
          std::to_string(r.protocol_status) + ", app status " + std::to_string(r.app_status);
  return {text};
}

// Lines that differ, in order, '-' for php-fpm's and '+' for zfpm's; short enough to read.
std::string line_diff(const std::string& fpm, const std::string& zfpm) {
  auto lines = [](const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  auto a = lines(fpm), b = lines(zfpm);
  std::string out;
  std::size_t shown = 0;
  for (const auto& line : a) {
    if (std::find(b.begin(), b.end(), line) == b.end() && shown++ < 40) out += "- " + line + "\n";
  }
  for (const auto& line : b) {
    if (std::find(a.begin(), a.end(), line) == a.end() && shown++ < 40) out += "+ " + line + "\n";
  }
  return out;
}

// One zfpm and one php-fpm over the same docroot, shared by every test case here.
struct Servers {
  ZfpmServer zfpm{{.workers = 2}};
  PhpFpm fpm;
  std::string dump = zfpm.script("dump.php", dump_php);
  std::string headers = zfpm.script("headers.php", headers_php);
  std::string spaced = zfpm.script("with space é.php", dump_php);
  std::string text = zfpm.script("notes.txt", "not PHP");
  std::string root = zfpm.docroot.path();
};

Servers& servers() {
  static auto instance = std::make_unique<Servers>();
  return *instance;
}

// Sends the request to both and checks that the answers match.
void same_answer(Servers& s, std::string_view what, const Params& params,
                 std::string_view body = {}) {
  INFO("request shape: ", what);
  Response from_fpm, from_zfpm;
  try {
    from_fpm = s.fpm.connect().request(params, body);
    from_zfpm = s.zfpm.connect().request(params, body);
  } catch (const std::exception& e) {
    std::string why = std::string("no answer: ") + e.what() + "\nzfpm log:\n" +
                      s.zfpm.process.log() + "\nphp-fpm log:\n" +
                      read_file(s.fpm.dir.file("php-fpm.log"));
    FAIL_CHECK(why);
    return;
  }
  auto a = normalize(from_fpm), b = normalize(from_zfpm);
  bool same = a.text == b.text;
  CHECK_MESSAGE(same, "php-fpm (-) and zfpm (+) differ:\n", line_diff(a.text, b.text));
}

// params_for() with some entries replaced or added (a name mapped to "" is kept, with no value);
// `remove` drops entries.
Params with(Params p, const Params& changes, const std::vector<std::string>& remove = {}) {
  for (const auto& name : remove) {
    std::erase_if(p, [&](const auto& kv) { return kv.first == name; });
  }
  for (const auto& [name, value] : changes) {
    auto it = std::find_if(p.begin(), p.end(), [&](const auto& kv) { return kv.first == name; });
    if (it != p.end()) {
      it->second = value;
    } else {
      p.emplace_back(name, value);
    }
  }
  return p;
}

HttpRequest post(std::string content_type, std::size_t length, std::string query = {}) {
  return {.method = "POST",
          .query = std::move(query),
          .content_type = std::move(content_type),
          .content_length = length};
}

}  // namespace

TEST_CASE("GET shapes: plain, query strings of every kind, HEAD, other methods") {
  auto& s = servers();
  same_answer(s, "plain GET", params_for(s.dump));
  same_answer(s, "duplicate and array query keys",
              params_for(s.dump, {.query = "a=1&a=2&b[]=1&b[]=2&c[x][y]=3&c[x][z]=4&d[]"}));
  same_answer(s, "encoded and odd query keys",
              params_for(s.dump, {.query = "e=%C3%A9&f=a+b&g=%2B%26%3D&h=&i&j[=1&k]=2&l.m=3&"
                                           "n%20o=4&%00p=5&q=%FF&&=6&r[a=7"}));
  same_answer(s, "an 8 KiB query string",
              params_for(s.dump, {.query = "long=" + std::string(8192, 'q')}));
  same_answer(s, "HEAD", params_for(s.dump, {.method = "HEAD", .query = "x=1"}));
  same_answer(s, "OPTIONS", params_for(s.dump, {.method = "OPTIONS"}));
  same_answer(
      s, "PROPFIND with a body",
      params_for(s.dump, {.method = "PROPFIND", .content_type = "text/xml", .content_length = 7}),
      "<a></a>");
  same_answer(s, "HTTP headers",
              params_for(s.dump, {.headers = {{"Host", "example.org"},
                                              {"Accept", "*/*"},
                                              {"X-Forwarded-For", "10.0.0.1"},
                                              {"User-Agent", "compat/1"},
                                              {"Proxy", "http://evil:8080"}}}));
  same_answer(s, "basic auth",
              params_for(s.dump, {.headers = {{"Authorization", "Basic dXNlcjpwYTpzcw=="}}}));
  same_answer(
      s, "digest auth",
      params_for(s.dump, {.headers = {{"Authorization", "Digest username=\"u\", realm=\"r\""}}}));
  auto twice = params_for(s.dump, {.query = "first=1"});
  twice.emplace_back("QUERY_STRING", "second=2");
  twice.emplace_back("HTTP_X_TWICE", "a");
  twice.emplace_back("HTTP_X_TWICE", "b");
  same_answer(s, "params sent twice", twice);
  same_answer(s, "no REQUEST_METHOD", with(params_for(s.dump), {}, {"REQUEST_METHOD"}));
}

TEST_CASE("POST shapes: empty, urlencoded, multipart with files, other types") {
  auto& s = servers();
  same_answer(s, "empty urlencoded POST",
              params_for(s.dump, post("application/x-www-form-urlencoded", 0)));
  same_answer(s, "empty POST without a content type", params_for(s.dump, post("", 0)));
  std::string form = "a=1&a=2&b[]=x&b[]=y&c[k]=v&d=%C3%A9+%2B&e";
  same_answer(s, "urlencoded POST with arrays",
              params_for(s.dump, post("application/x-www-form-urlencoded", form.size(), "a=get")),
              form);
  same_answer(s, "urlencoded POST with a charset",
              params_for(s.dump, post("application/x-www-form-urlencoded; charset=UTF-8", 3)),
              "x=1");
  std::string json = R"({"k":[1,2]})";
  same_answer(s, "JSON POST", params_for(s.dump, post("application/json", json.size())), json);
  std::string multipart =
      "--B\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"arr[]\"\r\n\r\none\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\nhello\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"many[]\"; filename=\"b.bin\"\r\n\r\n"
      "\x00\x01\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"many[]\"; filename=\"\"\r\n\r\n\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"nested[a][b]\"; filename=\"c.txt\"\r\n\r\n"
      "c\r\n"
      "--B--\r\n";
  same_answer(s, "multipart with fields and files",
              params_for(s.dump, post("multipart/form-data; boundary=B", multipart.size())),
              multipart);
  same_answer(s, "multipart without a boundary",
              params_for(s.dump, post("multipart/form-data", multipart.size())), multipart);
}

TEST_CASE("cookie shapes: several, encoded, duplicate, arrays, long") {
  auto& s = servers();
  auto cookie = [&](std::string value) {
    return params_for(s.dump, {.headers = {{"Cookie", std::move(value)}}});
  };
  same_answer(s, "several cookies", cookie("a=1; b=two; c=x%20y; d=a+b"));
  same_answer(s, "duplicate cookie names", cookie("dup=first; dup=second"));
  same_answer(s, "array cookies", cookie("arr[a]=1; arr[b]=2; list[]=x; list[]=y"));
  same_answer(s, "odd cookies", cookie("=novalue; flag; sp ace=1; dot.ted=2; q=\"quoted\";;"));
  same_answer(s, "a long cookie", cookie("big=" + std::string(4000, 'c') + "; small=1"));
}

TEST_CASE("path shapes: PATH_INFO, encoded names, missing and refused scripts") {
  auto& s = servers();
  auto base = params_for(s.dump);
  same_answer(s, "nginx split PATH_INFO",
              with(base, {{"PATH_INFO", "/extra/path"},
                          {"REQUEST_URI", "/dump.php/extra/path?q=1"},
                          {"QUERY_STRING", "q=1"}}));
  same_answer(s, "PATH_INFO left in SCRIPT_FILENAME (cgi.fix_pathinfo)",
              with(base, {{"SCRIPT_FILENAME", s.dump + "/extra/path"},
                          {"SCRIPT_NAME", "/dump.php/extra/path"},
                          {"REQUEST_URI", "/dump.php/extra/path"}}));
  same_answer(s, "PATH_INFO in both",
              with(base, {{"SCRIPT_FILENAME", s.dump + "/extra/path"},
                          {"SCRIPT_NAME", "/dump.php/extra/path"},
                          {"PATH_INFO", "/extra/path"}}));
  same_answer(s, "Apache proxy:fcgi:// SCRIPT_FILENAME",
              with(base, {{"SCRIPT_FILENAME", "proxy:fcgi://127.0.0.1:9000" + s.dump + "/pi"},
                          {"SCRIPT_NAME", "/dump.php/pi"}}));
  same_answer(s, "PATH_TRANSLATED only",
              with(base, {{"PATH_TRANSLATED", s.dump}}, {"SCRIPT_FILENAME"}));
  same_answer(s, "an encoded script name",
              with(params_for(s.spaced), {{"REQUEST_URI", "/with%20space%20%C3%A9.php?x=%20"},
                                          {"QUERY_STRING", "x=%20"}}));
  same_answer(s, "missing script", params_for(s.root + "/missing.php"));
  same_answer(s, "missing script with PATH_INFO",
              with(base, {{"SCRIPT_FILENAME", s.root + "/missing.php/x"}}));
  same_answer(s, "a .. segment", with(base, {{"SCRIPT_FILENAME", s.root + "/sub/../dump.php"}}));
  same_answer(s, "extension not allowed", params_for(s.text));
  same_answer(s, "a directory", params_for(s.root));
  same_answer(s, "no DOCUMENT_ROOT", with(base, {}, {"DOCUMENT_ROOT"}));
}

TEST_CASE("response shapes: cookies, repeated headers, status lines, redirects") {
  auto& s = servers();
  for (std::string c : {"", "location", "location-201", "status-line", "status-header", "teapot",
                        "not-modified", "no-content-type", "json", "remove"}) {
    same_answer(s, "headers.php case=" + c, params_for(s.headers, {.query = "case=" + c}));
  }
  same_answer(s, "headers.php by HEAD", params_for(s.headers, {.method = "HEAD"}));
}

// php-fpm writes PHP_VALUE and PHP_ADMIN_VALUE into its child's master values, where they stay for
// every later request of that child (docs/php.md); each of these shapes gets fresh servers.
TEST_CASE("PHP_VALUE and PHP_ADMIN_VALUE shapes, one pair of servers each") {
  {
    Servers s;
    same_answer(s, "PHP_VALUE with a bad entry",
                with(params_for(s.dump), {{"PHP_VALUE", "precision=5\nfoo.bar=1"}}));
  }
  {
    Servers s;
    same_answer(s, "PATH_INFO with cgi.fix_pathinfo=0",
                with(params_for(s.dump), {{"SCRIPT_FILENAME", s.dump + "/extra"},
                                          {"PATH_INFO", "/extra"},
                                          {"PHP_ADMIN_VALUE", "cgi.fix_pathinfo=0"}}));
  }
  {
    Servers s;
    same_answer(s, "POST over post_max_size",
                with(params_for(s.dump, post("application/x-www-form-urlencoded", 19)),
                     {{"PHP_VALUE", "post_max_size=10"}}),
                "a=12345678901234567");
  }
}
