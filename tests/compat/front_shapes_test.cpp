// Issue #4's acceptance check: the same HTTP requests, byte for byte, through nginx and through
// Caddy to zfpm and to Debian's php-fpm 8.2 serving the same docroot. The responses' status lines
// and headers and the scripts' superglobals must match key by key; every difference is reported
// as (shape, front, key, zfpm's value, php-fpm's value) and fails the test.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

#include "front_requests.hpp"
#include "front_scripts.hpp"
#include "fronts.hpp"
#include "php_fpm.hpp"
#include "raw_http.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// zfpm and php-fpm with equivalent pools over one docroot: each from a php-fpm.conf with a static
// pool of 2, user root, clear_env = no, and the same upload limits.
struct Stage {
  std::vector<std::string> ini{"-d", "upload_max_filesize=16M", "-d", "post_max_size=32M"};
  ZfpmServer zfpm{{.workers = 2,
                   .extra_args = ini,
                   .pool_config = "user = root\ngroup = root\nclear_env = no\n"}};
  PhpFpm fpm{ini};
  Stage() {
    for (const char* name :
         {"dump.php", "index.php", "dir/index.php", "plain/dump.php", "sp ace.php"}) {
      zfpm.script(name, front_dump_php);
    }
    zfpm.script("resp.php", front_response_php);
    zfpm.script("dir/.user.ini", "precision = 7\ndisplay_errors = stderr\n");
  }
  Backends backends() const { return {zfpm.docroot.path(), zfpm.address(), fpm.address()}; }
};

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// A response as comparable entries. What may differ is normalized: Date; the PHP patch version in
// X-Powered-By (Debian's php-fpm and zfpm's libphp are built from different 8.2 releases); the
// front's own port, which differs because each backend has its own front port.
//
// Caddy passes the request's headers as FastCGI params in Go's map order, which changes from one
// request to the next: through Caddy the order of $_SERVER's, $_ENV's and getallheaders()' keys is
// the front's choice, so only their sets ("#key set") are compared; getenv()'s too.
Entries entries_of(const RawHttpResponse& r, int front_port, bool params_in_random_order) {
  const std::string port = std::to_string(front_port);
  Entries e{{"status line", r.status_line}};
  for (const auto& line : r.interim) e.emplace_back("interim status line", line);
  std::map<std::string, int> seen;
  std::string order;
  for (auto [name, value] : r.headers) {
    std::string key = lower(name);
    if (key == "date") continue;
    if (key == "x-powered-by" && value.starts_with("PHP/8.2.")) value = "PHP/8.2.*";
    replace_all(value, ":" + port, ":<front port>");
    order += name + " ";
    e.emplace_back("header " + key + " #" + std::to_string(seen[key]++), value);
  }
  e.emplace_back("header order", order);
  // A dump may follow what PHP printed before the script ran (startup warnings).
  auto dump = r.body.find("\"server\" \"#keys\"\t");
  if (dump == std::string::npos) {
    e.emplace_back("body", r.body);
    return e;
  }
  e.emplace_back("body before the dump", r.body.substr(0, dump));
  for (std::size_t at = dump; at < r.body.size();) {
    auto eol = r.body.find('\n', at);
    if (eol == std::string::npos) eol = r.body.size();
    std::string_view line(r.body.data() + at, eol - at);
    at = eol + 1;
    auto tab = line.find('\t');
    std::string key(line.substr(0, tab));
    std::string value(tab == std::string_view::npos ? "" : line.substr(tab + 1));
    if (value == "\"" + port + "\"") value = "\"<front port>\"";
    if (params_in_random_order &&
        (key == "\"server\" \"#keys\"" || key == "\"env\" \"#keys\"" ||
         key == "\"headers\" \"#keys\"" || key == "\"getenv\" \"#keys\"")) {
      continue;
    }
    e.emplace_back("dump " + key, value);
  }
  return e;
}

struct Difference {
  std::string shape, front, key, zfpm, php_fpm;
};

std::string shorten(const std::string& v) {
  return v.size() <= 240 ? v : v.substr(0, 200) + "… (" + std::to_string(v.size()) + " bytes)";
}

void compare(const Shape& shape, const Front& front, const Entries& zfpm, const Entries& fpm,
             std::vector<Difference>& out) {
  std::map<std::string, std::string> z(zfpm.begin(), zfpm.end()), f(fpm.begin(), fpm.end());
  const std::string absent = "(absent)";
  for (const auto& [key, value] : fpm) {
    auto it = z.find(key);
    if (it == z.end() || it->second != value) {
      out.push_back({shape.name, front.name(), key, it == z.end() ? absent : it->second, value});
    }
  }
  for (const auto& [key, value] : zfpm) {
    if (!f.contains(key)) out.push_back({shape.name, front.name(), key, value, absent});
  }
}

// Each upload's SHA-256 as the script computed it must be the one the test sent.
void check_uploads(const Shape& shape, const Entries& e, std::string_view backend) {
  for (const auto& expected : shape.upload_sha256) {
    bool found = std::any_of(e.begin(), e.end(), [&](const auto& kv) {
      return kv.first.starts_with("dump \"upload_sha256\" ") && kv.second == "\"" + expected + "\"";
    });
    CHECK_MESSAGE(found, backend, " did not receive the upload with SHA-256 ", expected);
  }
}

void same_answers_through(Front::Kind kind) {
  REQUIRE_MESSAGE(front_available(kind),
                  std::string(kind == Front::Kind::nginx ? nginx_binary : caddy_binary),
                  " is missing (scripts/setup installs it)");
  Stage stage;
  Front front(kind, stage.backends());
  std::vector<Difference> differences;
  std::size_t shapes = 0, entries = 0;
  for (const auto& shape : request_shapes()) {
    if (shape.nginx_only && kind != Front::Kind::nginx) continue;
    ++shapes;
    RawHttpResponse from_zfpm, from_fpm;
    try {
      from_zfpm = raw_http_exchange(front.zfpm_address(), shape.request, shape.head);
      from_fpm = raw_http_exchange(front.php_fpm_address(), shape.request, shape.head);
    } catch (const std::exception& e) {
      FAIL_CHECK(shape.name, " through ", front.name(), ": ", std::string(e.what()),
                 "\nfront log:\n", front.log(), "\nzfpm log:\n", stage.zfpm.process.log());
      continue;
    }
    if (const char* show = std::getenv("ZFPM_FRONT_SHOW"); show && shape.name == show) {
      MESSAGE("zfpm's answer:\n", from_zfpm.status_line, "\n", from_zfpm.body.substr(0, 20000),
              "\nphp-fpm's answer:\n", from_fpm.status_line, "\n", from_fpm.body.substr(0, 20000));
    }
    bool random_order = kind == Front::Kind::caddy;
    auto z = entries_of(from_zfpm, front.zfpm_port(), random_order);
    auto f = entries_of(from_fpm, front.php_fpm_port(), random_order);
    check_uploads(shape, z, "zfpm");
    check_uploads(shape, f, "php-fpm");
    entries += f.size();
    compare(shape, front, z, f, differences);
  }
  std::string report;
  for (const auto& d : differences) {
    report += "[" + d.shape + "] " + d.front + " " + d.key + "\n    zfpm:    " + shorten(d.zfpm) +
              "\n    php-fpm: " + shorten(d.php_fpm) + "\n";
  }
  MESSAGE(shapes, " request shapes through ", front.name(), ", ", entries, " values compared, ",
          differences.size(), " differences");
  CHECK_MESSAGE(differences.empty(), differences.size(), " differences:\n", report);
}

}  // namespace

TEST_CASE("through nginx, zfpm and php-fpm give the same headers and superglobals") {
  same_answers_through(Front::Kind::nginx);
}

TEST_CASE("through Caddy, zfpm and php-fpm give the same headers and superglobals") {
  same_answers_through(Front::Kind::caddy);
}
