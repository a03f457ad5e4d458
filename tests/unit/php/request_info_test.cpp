// Expected values come from Debian's php-fpm 8.2 given the same params (cgi-fcgi by hand, and
// tests/compat against the real thing).
#include "php/request_info.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace zfpm::php {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

class FakeFiles final : public FileProbe {
 public:
  explicit FakeFiles(std::set<std::string> files) : files_(std::move(files)) {}
  bool is_regular_file(const std::string& path) const override { return files_.count(path) > 0; }
  bool resolves(const std::string& path) const override { return files_.count(path) > 0; }

 private:
  std::set<std::string> files_;
};

struct Outcome {
  RequestInfo info;  // info.request_uri dies with the env: use uri
  std::string uri;
  Pairs env;  // newest first, FCGI_ROLE left out
};

Outcome run(const Pairs& pairs, PathSettings settings = {}) {
  std::string raw;
  for (const auto& [name, value] : pairs) fcgi::append_name_value(raw, name, value);
  std::string error;
  static std::vector<fcgi::Params> keep;  // the env borrows from them
  keep.push_back(*fcgi::Params::decode(std::move(raw), {}, &error));
  RequestEnv env(keep.back(), fcgi::Role::Responder);
  FakeFiles files({"/r/info.php", "/r/index.php"});
  Outcome out;
  out.info = init_request_info(env, settings, files);
  out.uri = out.info.request_uri ? out.info.request_uri : "(null)";
  env.for_each([&](const RequestEnv::Entry& e) {
    if (e.name != "FCGI_ROLE") out.env.emplace_back(e.name, e.value);
  });
  return out;
}

std::string uri(const Outcome& out) { return out.uri; }

TEST_CASE("an existing SCRIPT_FILENAME runs as sent and nothing is rewritten") {
  auto out = run(
      {{"SCRIPT_FILENAME", "/r/info.php"}, {"SCRIPT_NAME", "/info.php"}, {"PATH_INFO", "/foo"}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(uri(out) == "/info.php");
  CHECK(out.env == Pairs{{"PATH_INFO", "/foo"},
                         {"SCRIPT_NAME", "/info.php"},
                         {"SCRIPT_FILENAME", "/r/info.php"}});
}

TEST_CASE("trailing segments are stripped into PATH_INFO, originals kept as ORIG_*") {
  auto out = run({{"SCRIPT_FILENAME", "/r/info.php/test/x"},
                  {"PATH_INFO", "/info.php/test/x"},
                  {"SCRIPT_NAME", "/php/php-cgi"},
                  {"DOCUMENT_ROOT", "/r"}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(uri(out) == "/info.php");
  CHECK(out.env == Pairs{{"PATH_TRANSLATED", "/r/test/x"},
                         {"ORIG_SCRIPT_FILENAME", "/r/info.php/test/x"},
                         {"ORIG_SCRIPT_NAME", "/php/php-cgi"},
                         {"ORIG_PATH_INFO", "/info.php/test/x"},
                         {"DOCUMENT_ROOT", "/r"},
                         {"SCRIPT_NAME", "/info.php"},
                         {"PATH_INFO", "/test/x"},
                         {"SCRIPT_FILENAME", "/r/info.php"}});
}

TEST_CASE("CVE-2019-11043: a PATH_INFO no longer than the stripped tail yields none") {
  auto out = run({{"SCRIPT_FILENAME", "/r/info.php/test/x"},
                  {"SCRIPT_NAME", "/info.php/test/x"},
                  {"DOCUMENT_ROOT", "/r"},
                  {"PATH_INFO", ""}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(uri(out) == "/info.php/test/x");
  CHECK(out.env == Pairs{{"PATH_TRANSLATED", "/r"},
                         {"ORIG_SCRIPT_FILENAME", "/r/info.php/test/x"},
                         {"PATH_INFO", ""},
                         {"DOCUMENT_ROOT", "/r"},
                         {"SCRIPT_NAME", "/info.php/test/x"},
                         {"SCRIPT_FILENAME", "/r/info.php"}});
}

TEST_CASE("Apache's proxy:fcgi:// prefix and query go, the tail leaves SCRIPT_NAME") {
  auto out = run({{"SCRIPT_FILENAME", "proxy:fcgi://localhost:9000/r/info.php/a%20b?x=1"},
                  {"SCRIPT_NAME", "/info.php/a%20b"}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(uri(out) == "/info.php");
  CHECK(out.env == Pairs{{"PATH_TRANSLATED", "/r/a%20b"},
                         {"ORIG_SCRIPT_FILENAME", "/r/info.php/a%20b"},
                         {"PATH_INFO", "/a%20b"},
                         {"ORIG_SCRIPT_NAME", "/info.php/a%20b"},
                         {"SCRIPT_NAME", "/info.php"},
                         {"SCRIPT_FILENAME", "/r/info.php"}});
}

TEST_CASE("ProxyPass: SCRIPT_NAME ending in the decoded path info is trimmed too") {
  auto out = run({{"SCRIPT_FILENAME", "proxy:balancer://b/r/info.php/a%20b"},
                  {"SCRIPT_NAME", "/info.php/a b"}});
  CHECK(uri(out) == "/info.php");
}

TEST_CASE("a script that is not there: 404, SCRIPT_FILENAME gone, the original kept") {
  auto out = run({{"SCRIPT_FILENAME", "/r/nope.php"}, {"SCRIPT_NAME", "/nope.php"}});
  CHECK_FALSE(out.info.script_path.has_value());
  CHECK(uri(out) == "/nope.php");
  CHECK(out.env == Pairs{{"ORIG_SCRIPT_FILENAME", "/r/nope.php"}, {"SCRIPT_NAME", "/nope.php"}});
}

TEST_CASE("without SCRIPT_FILENAME, PATH_TRANSLATED names the script") {
  auto out = run({{"PATH_TRANSLATED", "/r/info.php"}, {"SCRIPT_NAME", "/info.php"}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(out.env.front() == std::pair<std::string, std::string>{"SCRIPT_FILENAME", "/r/info.php"});
}

TEST_CASE("mod_fastcgi: REDIRECT_URL and PATH_TRANSLATED replace the PHP binary's names") {
  auto out = run({{"SCRIPT_FILENAME", "/usr/bin/php-cgi"},
                  {"PATH_TRANSLATED", "/r/info.php"},
                  {"SCRIPT_NAME", "/cgi/php"},
                  {"REDIRECT_URL", "/info.php"},
                  {"PATH_INFO", "/info.php"}});
  CHECK(out.info.script_path == "/r/info.php");
  CHECK(uri(out) == "/info.php");
  CHECK(out.env == Pairs{{"ORIG_SCRIPT_NAME", "/cgi/php"},
                         {"ORIG_PATH_TRANSLATED", "/r/info.php"},
                         {"ORIG_PATH_INFO", "/info.php"},
                         {"ORIG_SCRIPT_FILENAME", "/usr/bin/php-cgi"},
                         {"REDIRECT_URL", "/info.php"},
                         {"SCRIPT_NAME", "/info.php"},
                         {"SCRIPT_FILENAME", "/r/info.php"}});
}

TEST_CASE("IIS: a PATH_INFO that repeats SCRIPT_NAME loses it") {
  auto out = run({{"SCRIPT_FILENAME", "/r/info.php"},
                  {"SERVER_SOFTWARE", "Microsoft-IIS/10"},
                  {"SCRIPT_NAME", "/info.php"},
                  {"PATH_INFO", "/info.php/more"}});
  CHECK(std::string(out.env[0].first) == "ORIG_PATH_INFO");
  bool found = false;
  for (const auto& [k, v] : out.env) found = found || (k == "PATH_INFO" && v == "/more");
  CHECK(found);
}

TEST_CASE("a .. segment is refused, a .. inside a name is not") {
  CHECK_FALSE(run({{"SCRIPT_FILENAME", "/r/../r/info.php"}}).info.script_path.has_value());
  CHECK_FALSE(is_valid_path("/r/.."));
  CHECK_FALSE(is_valid_path("../x"));
  CHECK(is_valid_path("/r/a..b/c"));
  CHECK(is_valid_path("/r/.../c"));
}

TEST_CASE("cgi.fix_pathinfo=0: PATH_INFO is the request URI and nothing is searched") {
  PathSettings settings{.fix_pathinfo = false, .doc_root = {}};
  auto out =
      run({{"SCRIPT_FILENAME", "/r/info.php/x"}, {"SCRIPT_NAME", "/info.php"}, {"PATH_INFO", "/x"}},
          settings);
  CHECK(out.info.script_path == "/r/info.php/x");
  CHECK(uri(out) == "/x");
  CHECK(out.env.size() == 3);
}

TEST_CASE("cgi.fix_pathinfo=0 takes PATH_TRANSLATED unless cgi.discard_path") {
  Pairs pairs{{"SCRIPT_FILENAME", "/r/index.php"}, {"PATH_TRANSLATED", "/r/info.php"}};
  CHECK(run(pairs, {.fix_pathinfo = false, .doc_root = {}}).info.script_path == "/r/info.php");
  CHECK(
      run(pairs, {.fix_pathinfo = false, .discard_path = true, .doc_root = {}}).info.script_path ==
      "/r/index.php");
}

TEST_CASE("doc_root fills DOCUMENT_ROOT when the web server sends none") {
  auto out = run({{"SCRIPT_FILENAME", "/r/info.php"}}, {.doc_root = "/r/"});
  CHECK(out.env.front() == std::pair<std::string, std::string>{"DOCUMENT_ROOT", "/r/"});
}

TEST_CASE("security.limit_extensions: listed endings only, longer than the ending") {
  auto extensions = parse_limit_extensions(" .php\t.phar  ");
  CHECK(extensions == std::vector<std::string>{".php", ".phar"});
  CHECK(extension_allowed("/r/a.php", extensions));
  CHECK(extension_allowed("/r/a.phar", extensions));
  CHECK_FALSE(extension_allowed("/r/a.txt", extensions));
  CHECK_FALSE(extension_allowed(".php", extensions));
  CHECK(extension_allowed("/r/a.txt", parse_limit_extensions("")));
}

TEST_CASE("raw url decoding turns %XX only") {
  CHECK(raw_url_decode("a%20b+c%zz%4") == "a b+c%zz%4");
}

}  // namespace
}  // namespace zfpm::php
