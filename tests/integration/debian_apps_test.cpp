// Real applications from Debian's packages (dokuwiki, adminer, phpmyadmin), served as Debian
// serves them with php-fpm: nginx with Debian's fastcgi_params in front of zfpm. Each page must
// work, with error_reporting = E_ALL, and PHP must log nothing that php-fpm 8.2 does not log for
// the same steps (checked by hand against php-fpm behind the same nginx). A test whose package is
// not installed is reported by ctest as skipped (its "ZFPM_TEST_SKIPPED:" line,
// tests/CMakeLists.txt); scripts/setup installs them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <vector>

#include "http_client.hpp"
#include "nginx.hpp"
#include "process.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// The packages' files the tests serve, under a docroot of symlinks as an alias would.
bool installed(const std::string& file, const char* package) {
  if (std::filesystem::exists(file)) return true;
  MESSAGE("ZFPM_TEST_SKIPPED: Debian package ", package, " is not installed (", file, ")");
  return false;
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(name) + "=" + url_encode(value);
  }
  return out;
}

// A browser's worth of HTTP: cookies kept from Set-Cookie, sent back on every request.
class Browser {
 public:
  explicit Browser(std::string address) : address_(std::move(address)) {}

  HttpResponse get(const std::string& target) { return send({.target = target}); }
  HttpResponse post(const std::string& target, const std::map<std::string, std::string>& form) {
    return send({.method = "POST",
                 .target = target,
                 .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                 .body = form_encode(form)});
  }
  HttpResponse send(HttpMessage message) {
    std::string cookies;
    for (const auto& [name, value] : cookies_) {
      cookies += (cookies.empty() ? "" : "; ") + name + "=" + value;
    }
    if (!cookies.empty()) message.headers.emplace("Cookie", cookies);
    HttpResponse response = http_request(address_, message, 60s);
    auto [from, to] = response.headers.equal_range("Set-Cookie");
    for (auto it = from; it != to; ++it) {
      const std::string& line = it->second;
      auto eq = line.find('=');
      auto end = line.find(';');
      if (eq == std::string::npos || eq > end) continue;
      std::string value = line.substr(eq + 1, end == std::string::npos ? end : end - eq - 1);
      if (value == "deleted") {
        cookies_.erase(line.substr(0, eq));
      } else {
        cookies_[line.substr(0, eq)] = value;
      }
    }
    return response;
  }

 private:
  std::string address_;
  std::map<std::string, std::string> cookies_;
};

// The hidden fields of an HTML page's forms.
std::map<std::string, std::string> hidden_fields(const std::string& html) {
  static const std::regex input(R"re(<input type="hidden" name="([^"]+)" value="([^"]*)")re");
  std::map<std::string, std::string> fields;
  for (std::sregex_iterator it(html.begin(), html.end(), input), end; it != end; ++it) {
    fields[(*it)[1]] = (*it)[2];
  }
  return fields;
}

// zfpm as Debian's php-fpm runs a pool, with every PHP message logged, and nginx in front.
struct Site {
  TempDir www;
  ZfpmServer zfpm;
  Nginx nginx;

  explicit Site(const std::string& prepend)
      : zfpm({.workers = 4,
              .extra_args = {"-d", "error_reporting=-1", "-d", "display_errors=0", "-d",
                             "log_errors=1"},
              .pool_config = "catch_workers_output = yes\n"}),
        nginx({.root = www.path(),
               .fastcgi_pass = zfpm.address(),
               .php_location = prepend.empty() ? std::string()
                                               : "fastcgi_param PHP_VALUE \"auto_prepend_file=" +
                                                     prepend + "\";",
               .server = "index index.php doku.php;"}) {}

  void alias(const std::string& name, const std::string& target) const {
    std::filesystem::create_directory_symlink(target, www.file(name));
  }
  // What PHP wrote to zfpm's log (warnings, notices, deprecations, fatal errors), but for the
  // lines that contain one of `also_under_php_fpm`: the application's own warnings, which
  // php-fpm 8.2 logs as well for the same request.
  std::string php_messages(const std::vector<std::string>& also_under_php_fpm = {}) const {
    std::string out;
    std::string log = zfpm.process.log();
    for (auto at = log.find("PHP message"); at != std::string::npos;
         at = log.find("PHP message", at)) {
      auto eol = log.find('\n', at);
      std::string line = log.substr(at, eol - at);
      at = eol;
      if (std::none_of(also_under_php_fpm.begin(), also_under_php_fpm.end(),
                       [&](const std::string& known) { return line.find(known) != line.npos; })) {
        out += line + "\n";
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("dokuwiki from Debian: login, edit with its form's token, media upload, search") {
  if (!installed("/usr/share/dokuwiki/doku.php", "dokuwiki")) return;
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  // The wiki's configuration and pages in a folder of the test's, not /etc and /var/lib:
  // Debian's inc/preload.php takes DOKU_CONF when it is already defined.
  TempDir wiki;
  for (const char* dir : {"pages", "attic", "meta", "media", "media_attic", "media_meta", "cache",
                          "index", "locks", "tmp", "log"}) {
    wiki.make_dir(std::string("data/") + dir);
  }
  wiki.write("conf/local.php",
             "<?php\n$conf['savedir'] = '" + wiki.file("data") +
                 "';\n$conf['title'] = 'zfpm test wiki';\n$conf['useacl'] = 1;\n");
  wiki.write("conf/plugins.local.php", "<?php\n$plugins['testing'] = 0;\n");
  // Anyone reads, a logged-in user edits: DokuWiki hands out security tokens to users only.
  wiki.write("conf/acl.auth.php", "*\t@ALL\t1\n*\t@user\t8\n");
  wiki.write("conf/users.auth.php",  // password zfpm-secret
             "quokka:$2y$05$pH7vrUo7BRRu8HTRnoTsxOvxwHHuAlhcSjapnKgyiWkuU1jAiEi2S:Quokka:"
             "quokka@example.org:user\n");
  const std::string prepend =
      wiki.write("prepend.php", "<?php define('DOKU_CONF', '" + wiki.file("conf/") + "');\n");
  Site site(prepend);
  site.alias("dokuwiki", "/usr/share/dokuwiki");
  INFO("zfpm log:\n", site.zfpm.process.log());
  INFO("nginx error log:\n", site.nginx.error_log());
  Browser browser(site.nginx.address());

  auto start = browser.get("/dokuwiki/doku.php");
  CHECK(start.status == 200);
  CHECK(start.body.find("zfpm test wiki") != std::string::npos);

  auto login_form = browser.get("/dokuwiki/doku.php?id=start&do=login");
  REQUIRE(login_form.status == 200);
  auto login = hidden_fields(login_form.body);
  login["u"] = "quokka";
  login["p"] = "zfpm-secret";
  login["do"] = "login";
  auto logged_in = browser.post("/dokuwiki/doku.php", login);
  CHECK(logged_in.status == 302);

  auto form = browser.get("/dokuwiki/doku.php?id=playground:zfpm&do=edit");
  REQUIRE(form.status == 200);
  auto fields = hidden_fields(form.body);
  REQUIRE(fields.count("sectok") == 1);
  REQUIRE(!fields["sectok"].empty());
  fields["wikitext"] = "====== Zfpm page ======\nServed by zfpm: quokkaword.\n";
  fields["summary"] = "written by the zfpm test";
  fields["do[save]"] = "Save";
  auto saved = browser.post("/dokuwiki/doku.php", fields);
  CHECK(saved.status == 302);  // DokuWiki redirects to the page it saved
  CHECK(std::filesystem::exists(wiki.file("data/pages/playground/zfpm.txt")));

  auto page = browser.get("/dokuwiki/doku.php?id=playground:zfpm");
  CHECK(page.status == 200);
  CHECK(page.body.find("Served by zfpm: quokkaword.") != std::string::npos);
  CHECK(page.body.find("Logged in as: <bdi>Quokka</bdi>") != std::string::npos);

  CHECK(browser.get("/dokuwiki/lib/exe/taskrunner.php?id=playground:zfpm").status == 200);
  auto search = browser.get("/dokuwiki/doku.php?do=search&id=start&q=quokkaword");
  CHECK(search.status == 200);
  // A hit of the full-text index the task runner built, with the page it is on.
  CHECK(search.body.find("id=playground:zfpm&amp;s[]=quokkaword") != std::string::npos);
  CHECK(search.body.find("<strong class=\"search_hit\">quokkaword</strong>") != std::string::npos);

  // A media upload: multipart/form-data with the same token, as the media manager posts it.
  const std::string png = read_file("/usr/share/dokuwiki/lib/images/closed.png");
  const std::string boundary = "zfpm-media-boundary";
  std::string multipart;
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"ns", "wiki"}, {"mediaid", "zfpm.png"}, {"sectok", fields["sectok"]}}) {
    multipart += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
                 "\"\r\n\r\n" + value + "\r\n";
  }
  multipart += "--" + boundary +
               "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"closed.png\"\r\n"
               "Content-Type: image/png\r\n\r\n" +
               png + "\r\n--" + boundary + "--\r\n";
  auto uploaded =
      browser.send({.method = "POST",
                    .target = "/dokuwiki/lib/exe/mediamanager.php?ns=wiki",
                    .headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}},
                    .body = multipart});
  CHECK(uploaded.status == 200);
  CHECK(uploaded.body.find("Upload successful") != std::string::npos);
  CHECK(read_file(wiki.file("data/media/wiki/zfpm.png")) == png);
  auto media = browser.get("/dokuwiki/lib/exe/fetch.php?media=wiki:zfpm.png");
  CHECK(media.status == 200);
  CHECK(media.header("Content-Type") == "image/png");
  CHECK(media.body == png);

  auto css = browser.get("/dokuwiki/lib/exe/css.php?t=dokuwiki");
  CHECK(css.status == 200);
  CHECK(css.header("Content-Type").value_or("").starts_with("text/css"));
  auto js = browser.get("/dokuwiki/lib/exe/js.php?t=dokuwiki");
  CHECK(js.status == 200);
  CHECK(js.body.find("jQuery") != std::string::npos);

  // DokuWiki 2022-07-31's media manager on PHP 8 (php-fpm logs the same for the same requests).
  CHECK(site.php_messages({"Undefined variable $fullscreen in "
                           "/usr/share/dokuwiki/lib/exe/mediamanager.php on line 124",
                           "in /usr/share/dokuwiki/inc/media.php on line 1625"}) == "");
}

TEST_CASE("adminer from Debian: login page, its resources, a login to an SQLite database") {
  if (!installed("/usr/share/adminer/adminer.php", "adminer")) return;
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  Site site("");
  // Adminer refuses a login without a password; for SQLite its login-password-less plugin
  // (shipped in the package) sets one, as its documentation suggests.
  site.www.write("adminer/index.php", R"(<?php
function adminer_object() {
  include_once '/usr/share/adminer/plugins/plugin.php';
  include_once '/usr/share/adminer/plugins/login-password-less.php';
  include_once '/usr/share/adminer/plugins/version-noverify.php';
  return new AdminerPlugin([new AdminerVersionNoverify(),
                            new AdminerLoginPasswordLess(password_hash('secret', PASSWORD_DEFAULT))]);
}
include '/usr/share/adminer/adminer.php';
)");
  const std::string db = site.www.file("data.sqlite");
  site.www.write("make-db.php",
                 "<?php $db = new SQLite3('" + db +
                     "');\n"
                     "$db->exec(\"CREATE TABLE fruit (id INTEGER PRIMARY KEY, name TEXT);"
                     " INSERT INTO fruit (name) VALUES ('apple'), ('quince');\"); echo 'made';");
  INFO("zfpm log:\n", site.zfpm.process.log());
  INFO("nginx error log:\n", site.nginx.error_log());
  Browser browser(site.nginx.address());
  REQUIRE(browser.get("/make-db.php").body == "made");

  auto login = browser.get("/adminer/index.php");
  CHECK(login.status == 200);
  CHECK(login.body.find("auth[driver]") != std::string::npos);
  auto css = browser.get("/adminer/index.php?file=default.css&version=4.8.1");
  CHECK(css.status == 200);
  CHECK(css.header("Content-Type").value_or("").starts_with("text/css"));
  auto script = browser.get("/adminer/index.php?file=functions.js&version=4.8.1");
  CHECK(script.status == 200);
  CHECK(script.body.find("function") != std::string::npos);

  auto logged_in = browser.post("/adminer/index.php", {{"auth[driver]", "sqlite"},
                                                       {"auth[server]", ""},
                                                       {"auth[username]", ""},
                                                       {"auth[password]", "secret"},
                                                       {"auth[db]", db}});
  CHECK(logged_in.status == 302);
  auto rows =
      browser.get("/adminer/index.php?sqlite=&username=&db=" + url_encode(db) + "&select=fruit");
  CHECK(rows.status == 200);
  CHECK(rows.body.find("quince") != std::string::npos);

  CHECK(site.php_messages() == "");
}

TEST_CASE("phpmyadmin from Debian: its login page and resources, without a database server") {
  if (!installed("/usr/share/phpmyadmin/index.php", "phpmyadmin")) return;
  REQUIRE_MESSAGE(is_executable(nginx_binary), nginx_binary,
                  " is missing (a declared test dependency)");
  Site site("");
  site.alias("phpmyadmin", "/usr/share/phpmyadmin");
  INFO("zfpm log:\n", site.zfpm.process.log());
  INFO("nginx error log:\n", site.nginx.error_log());
  Browser browser(site.nginx.address());

  auto login = browser.get("/phpmyadmin/index.php");
  CHECK(login.status == 200);
  CHECK(login.body.find("pma_username") != std::string::npos);
  CHECK(login.body.find("Fatal error") == std::string::npos);
  auto messages = browser.get("/phpmyadmin/js/messages.php?l=en");
  CHECK(messages.status == 200);
  CHECK(messages.body.find("Messages") != std::string::npos);

  CHECK(site.php_messages() == "");
}
