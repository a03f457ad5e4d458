// .user.ini files and php.ini's [PATH=]/[HOST=] sections, applied per request as php-fpm's SAPI
// activate hook does (fpm_main.c: sapi_cgi_activate, php_cgi_ini_activate_user_config).
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* show_php =
    "<?php echo ini_get('precision'), '|', ini_get('date.timezone'), '|', "
    "ini_get('memory_limit');";

// A request for `script` with DOCUMENT_ROOT = the server's docroot.
Response get_in_docroot(const ZfpmServer& server, const std::string& script,
                        const Params& extra = {}) {
  auto params = params_for(script);
  set_param(params, "DOCUMENT_ROOT", server.docroot.path());
  set_param(params, "SCRIPT_NAME", script.substr(server.docroot.path().size()));
  for (const auto& [name, value] : extra) set_param(params, name, value);
  return server.connect().request(params);
}

}  // namespace

TEST_CASE(".user.ini files apply from DOCUMENT_ROOT down to the script's folder, deepest last") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "precision = 5\ndate.timezone = Asia/Tokyo\n");
  server.docroot.write("a/.user.ini", "precision = 6\n");
  server.docroot.write("a/b/.user.ini", "memory_limit = 77M\n; a comment\nextension = nope.so\n");
  auto deep = server.script("a/b/show.php", show_php);
  auto top = server.script("show.php", show_php);

  CHECK(get_in_docroot(server, deep).body == "6|Asia/Tokyo|77M");
  CHECK(get_in_docroot(server, top).body == "5|Asia/Tokyo|128M");
}

TEST_CASE("a .user.ini changes one request only, the next request elsewhere sees the defaults") {
  ZfpmServer server({.workers = 1});
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write("with/.user.ini", "precision = 4\n");
  auto with = server.script("with/show.php", show_php);
  auto without = server.script("without/show.php", show_php);

  CHECK(get_in_docroot(server, with).body == "4|UTC|128M");
  CHECK(get_in_docroot(server, without).body == "14|UTC|128M");
}

TEST_CASE("a script outside DOCUMENT_ROOT gets only its own folder's .user.ini") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write("site/.user.ini", "precision = 5\n");
  server.docroot.write("site/elsewhere/.user.ini", "memory_limit = 66M\n");
  server.docroot.write("other/.user.ini", "date.timezone = Europe/Rome\n");
  auto script = server.script("other/show.php", show_php);
  auto params = params_for(script);
  set_param(params, "DOCUMENT_ROOT", server.docroot.file("site/elsewhere"));

  CHECK(server.connect().request(params).body == "14|Europe/Rome|128M");
}

TEST_CASE("without DOCUMENT_ROOT no .user.ini is read") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "precision = 5\n");
  auto script = server.script("show.php", show_php);
  Params params;
  for (auto& [name, value] : params_for(script)) {
    if (name != "DOCUMENT_ROOT") params.emplace_back(name, value);
  }

  CHECK(server.connect().request(params).body == "14|UTC|128M");
}

TEST_CASE("user_ini.filename names the file, empty turns the feature off") {
  ZfpmServer custom({.extra_args = {"-d", "user_ini.filename=.custom.ini"}});
  INFO("zfpm log:\n", custom.process.log());
  custom.docroot.write(".user.ini", "precision = 5\n");
  custom.docroot.write(".custom.ini", "precision = 9\n");
  CHECK(get_in_docroot(custom, custom.script("show.php", show_php)).body == "9|UTC|128M");

  ZfpmServer off({.extra_args = {"-d", "user_ini.filename="}});
  off.docroot.write(".user.ini", "precision = 5\n");
  CHECK(get_in_docroot(off, off.script("show.php", show_php)).body == "14|UTC|128M");
}

TEST_CASE("a PHP_ADMIN_VALUE wins over .user.ini, a PHP_VALUE does not (bug75212's rule)") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "memory_limit = 64M\ndate.timezone = Europe/Paris\n");
  auto script = server.script("show.php", show_php);

  auto response = get_in_docroot(
      server, script,
      {{"PHP_ADMIN_VALUE", "memory_limit=32M"}, {"PHP_VALUE", "date.timezone=Europe/London"}});

  CHECK(response.body == "14|Europe/Paris|32M");
}

TEST_CASE("the parsed files are cached for user_ini.cache_ttl, shared by every worker thread") {
  ZfpmServer server({.workers = 4});
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "precision = 5\n");
  auto script = server.script("show.php", show_php);
  auto slow = server.script("slow.php", "<?php usleep(200000); echo ini_get('precision');");
  REQUIRE(get_in_docroot(server, script).body == "5|UTC|128M");

  server.docroot.write(".user.ini", "precision = 8\n");
  // Eight requests at once reach every thread: each must see the cached value, not a rescan.
  std::vector<std::thread> clients;
  std::vector<std::string> bodies(8);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    clients.emplace_back([&, i] { bodies[i] = get_in_docroot(server, slow).body; });
  }
  for (auto& client : clients) client.join();
  for (const auto& body : bodies) CHECK(body == "5");
}

TEST_CASE("with user_ini.cache_ttl=0 a changed .user.ini is read again the next second") {
  ZfpmServer server({.workers = 1, .extra_args = {"-d", "user_ini.cache_ttl=0"}});
  INFO("zfpm log:\n", server.process.log());
  server.docroot.write(".user.ini", "precision = 5\n");
  auto script = server.script("show.php", show_php);
  REQUIRE(get_in_docroot(server, script).body == "5|UTC|128M");

  server.docroot.write(".user.ini", "precision = 8\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));

  CHECK(get_in_docroot(server, script).body == "8|UTC|128M");
}

TEST_CASE("a broken .user.ini: PHP's parser complains on stderr, the lines before it count") {
  ZfpmServer server;
  server.docroot.write(".user.ini", "precision = 5\n[broken\nprecision = 9\n");
  auto response = get_in_docroot(server, server.script("show.php", show_php));
  INFO("zfpm log:\n", server.process.log());

  CHECK(response.body == "5|UTC|128M");
  CHECK(server.process.wait_for_log("PHP:  syntax error, unexpected end of file"));
}

TEST_CASE("php.ini's [PATH=] and [HOST=] sections apply below the path, to the host") {
  TempDir site;
  TempDir ini;
  ini.write("php.ini", "[PATH=" + site.path() +
                           "/sub]\nprecision = 3\n[HOST=example.ORG]\n"
                           "date.timezone = America/Lima\n");
  ZfpmServer server({.extra_args = {"-c", ini.path()}});
  INFO("zfpm log:\n", server.process.log());
  auto sub = site.write("sub/deeper/show.php", show_php);
  auto top = site.write("show.php", show_php);
  auto on_host = params_for(top);
  set_param(on_host, "SERVER_NAME", "Example.org");

  CHECK(server.connect().request(params_for(sub)).body == "3|UTC|128M");
  CHECK(server.connect().request(params_for(top)).body == "14|UTC|128M");
  CHECK(server.connect().request(on_host).body == "14|America/Lima|128M");
}
