#include "zfpm/obs/access_format.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>

using namespace zfpm::obs;

namespace {

AccessEntry sample() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  AccessEntry e;
  e.pool = "www";
  e.method = "POST";
  e.uri = "/index.php";
  e.query = "a=1";
  e.user = "";
  e.script = "/srv/index.php";
  e.client_ip = "127.0.0.1";
  e.content_length = 12;
  e.status = 201;
  e.duration_us = 1234567;
  e.cpu_user = 0.5;
  e.cpu_system = 0.25;
  e.memory = 3 * 1024 * 1024 + 5;
  e.accepted_epoch = 1700000000;
  e.now_epoch = 1700000001;
  e.pid = 10;
  e.ppid = 1;
  e.param = [](const std::string& name) -> const char* {
    return name == "HTTP_HOST" ? "example.org" : nullptr;
  };
  e.headers = {"X-Powered-By: PHP/8.2", "Location: /next", "Empty: "};
  return e;
}

std::string line(std::string_view format, const AccessEntry& entry = sample()) {
  std::string error;
  auto parsed = parse_access_format(format, &error);
  REQUIRE_MESSAGE(parsed, error);
  return render_access_line(*parsed, entry);
}

std::string error_of(std::string_view format) {
  std::string error;
  CHECK_FALSE(parse_access_format(format, &error));
  return error;
}

}  // namespace

TEST_CASE("the default format is php-fpm's, %u empty without a user") {
  CHECK(line(kDefaultAccessFormat) ==
        "127.0.0.1 -  14/Nov/2023:22:13:20 +0000 \"POST /index.php\" 201\n");
}

TEST_CASE("every code prints what php-fpm prints") {
  CHECK(line("%%") == "%\n");
  CHECK(line("%C %{user}C %{system}C %{total}C") == "60.75 40.50 20.25 60.75\n");
  CHECK(line("%d %{seconds}d %{milli}d %{milliseconds}d %{mili}d %{micro}d %{microseconds}d") ==
        "1.235 1.235 1234.567 1234.567 1234.567 1234567 1234567\n");
  CHECK(line("%{HTTP_HOST}e %{NOPE}e") == "example.org -\n");
  CHECK(line("%f %l %m %n") == "/srv/index.php 12 POST www\n");
  CHECK(line("%M %{bytes}M %{kilo}M %{kilobytes}M %{mega}M %{MEGABYTES}M") ==
        "3145733 3145733 3072 3072 3 3\n");
  CHECK(line("%{Location}o %{Nope}o %{Empty}o") == "/next - -\n");
  CHECK(line("%p %P") == "10 1\n");
  CHECK(line("%q|%Q|%r|%R|%s") == "a=1|?|/index.php|127.0.0.1|201\n");
  CHECK(line("%t|%T|%{%Y-%m-%d %H:%M:%S}t|%{%s}T") ==
        "14/Nov/2023:22:13:20 +0000|14/Nov/2023:22:13:21 +0000|2023-11-14 22:13:20|1700000001\n");
}

TEST_CASE("absent values print as php-fpm prints them") {
  AccessEntry e = sample();
  e.method = "";
  e.script = "";
  e.client_ip = "";
  e.query = "";
  e.pool = "";
  CHECK(line("%m %f %R [%q] [%Q] %n", e) == "- - - [] [] -\n");
}

TEST_CASE("%{Name}o matches a header line as php-fpm's strstr does") {
  AccessEntry e = sample();
  e.headers = {"Content-Type: text/html", "xa: ab"};
  CHECK(line("%{Type}o", e) == "-\n");
  CHECK(line("%{ab}o", e) == "ab\n");  // "ab" occurs, and line[2..3] is ": "
}

TEST_CASE("a long line is never cut") {
  AccessEntry e = sample();
  const std::string uri(5000, 'u');
  e.uri = uri;
  CHECK(line("%r", e) == uri + "\n");
}

TEST_CASE("an empty result writes nothing, a lone % at the end prints nothing") {
  AccessEntry e = sample();
  e.query = "";
  CHECK(line("%q", e).empty());
  CHECK(line("x%") == "x\n");
}

TEST_CASE("invalid formats fail with php-fpm's messages") {
  CHECK(error_of("%x") == "Invalid token in the access.format (%x)");
  CHECK(error_of("%{foo") == "missing closing embrace in the access.format");
  CHECK(error_of("%{foo}") == "missing closing embrace in the access.format");
  CHECK(error_of("%{x}m") == "embrace is not allowed for modifier %m");
  CHECK(error_of("%e") == "the name of the environment variable must be set between embraces for %e");
  CHECK(error_of("%{}o") == "the name of the header must be set between embraces for %o");
  CHECK(error_of("%{hours}d").starts_with("only 'seconds', 'milli'"));
  CHECK(error_of("%{giga}M").starts_with("only 'bytes', 'kilo'"));
  CHECK(error_of("%{idle}C") == "only 'total', 'user' or 'system' are allowed as a modifier for %C ('idle')");
}

TEST_CASE("access.suppress_path hides only quiet successful GET/HEAD hits on a listed path") {
  const std::vector<std::string> paths{"/ping", "/health"};
  AccessEntry e = sample();
  e.method = "GET";
  e.uri = "/ping";
  e.query = "";
  e.status = 200;
  e.content_length = 0;
  CHECK(access_suppressed(e, paths));
  e.method = "HEAD";
  CHECK(access_suppressed(e, paths));
  AccessEntry other = e;
  other.method = "POST";
  CHECK_FALSE(access_suppressed(other, paths));
  other = e;
  other.query = "x";
  CHECK_FALSE(access_suppressed(other, paths));
  other = e;
  other.status = 404;
  CHECK_FALSE(access_suppressed(other, paths));
  other = e;
  other.content_length = 1;
  CHECK_FALSE(access_suppressed(other, paths));
  other = e;
  other.uri = "/ping/";
  CHECK_FALSE(access_suppressed(other, paths));
}
