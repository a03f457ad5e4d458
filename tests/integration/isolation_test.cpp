// Requests share worker threads but nothing else: headers (also removed ones), status, cookies,
// INI values, the working directory, putenv(), umask, locale and timezone of one request are
// invisible to every other, and each response, of a size no other has, arrives byte for byte,
// however the requests interleave (php-fpm gets this from one process per request; zfpm from
// PHP's per-thread state and its own per-request resets).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

// What the request sees first (must be the defaults, whatever ran before on that thread), then
// its own changes, then what it sees at the end.
constexpr const char* isolation_php = R"(<?php
$c = (int)$_GET['c']; $n = (int)$_GET['n']; $r = (int)$_GET['r']; $tag = "$c-$n";
$start = implode('|', ['start', getcwd(), var_export(getenv('ZFPM_ISO'), true),
  ini_get('precision'), var_export(ini_get('user_agent'), true), http_response_code(), json_encode(headers_list()), json_encode($_COOKIE),
  sprintf('%04o', umask()), setlocale(LC_ALL, 0), date_default_timezone_get()]);
$codes = [200, 201, 202, 400, 403, 404, 409, 410, 418, 422, 500, 503];
http_response_code($codes[($c + $n) % count($codes)]);
header("X-Iso: $tag");
header("X-Gone: $tag");
header_remove('X-Gone');
setcookie('iso', $tag);
setcookie('n', (string)$n);
ini_set('precision', (string)(3 + ($c * 100 + $n) % 14));
ini_set('user_agent', "ua-$tag");
chdir("c$c");
putenv("ZFPM_ISO=$tag");
umask(($c * 100 + $n) % 512);
setlocale(LC_ALL, $n % 2 ? 'C.UTF-8' : 'POSIX');
date_default_timezone_set(['Europe/Paris', 'Asia/Tokyo', 'America/Lima', 'UTC'][$c % 4]);
usleep((($c + $n) % 3) * 1000);
echo $start, "\n", 'end|', getcwd(), '|', getenv('ZFPM_ISO'), '|', ini_get('precision'), '|',
  ini_get('user_agent'), '|', M_PI,
  '|', sprintf('%04o', umask()), '|', setlocale(LC_ALL, 0), '|', date_default_timezone_get(), "\n";
echo str_repeat(chr(ord('a') + $c), ($c * $r + $n) * 7 + 1);  // a size no other request has
)";

struct Expected {
  int status;
  std::string out;  // all of FCGI_STDOUT
};

// PHP 8.2's http_status_map (main/http_status_codes.h); php-fpm writes a code it lacks (418,
// 422) as "Status: 418" with no reason phrase.
std::string reason(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

// The state every request starts from: zfpm's startup values.
struct Baseline {
  std::string docroot;
  std::string umask;  // the test's, inherited by zfpm; "%04o" as the script prints it
};

std::string octal(unsigned mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", mode);
  return text;
}

// PHP's startup locale whatever the environment: "C" with LC_CTYPE=C.UTF-8
// (zend_reset_lc_ctype_locale), and what php-fpm restores after a request changed it.
constexpr const char* startup_locale =
    "LC_CTYPE=C.UTF-8;LC_NUMERIC=C;LC_TIME=C;LC_COLLATE=C;LC_MONETARY=C;LC_MESSAGES=C;LC_PAPER=C;"
    "LC_NAME=C;LC_ADDRESS=C;LC_TELEPHONE=C;LC_MEASUREMENT=C;LC_IDENTIFICATION=C";

std::string start_line(const Baseline& base, std::string_view cookies) {
  return "start|" + base.docroot + "|false|14|''|200|[]|" + std::string(cookies) + "|" +
         base.umask + "|" + startup_locale + "|UTC\n";
}

Expected expected_for(const Baseline& base, int c, int n, int requests) {
  static constexpr int codes[] = {200, 201, 202, 400, 403, 404, 409, 410, 418, 422, 500, 503};
  std::string tag = std::to_string(c) + "-" + std::to_string(n);
  int status = codes[(c + n) % 12];
  int precision = 3 + (c * 100 + n) % 14;
  char pi[64];
  std::snprintf(pi, sizeof pi, "%.*G", precision, M_PI);  // PHP's echo of a float

  std::string out;
  if (status != 200) {
    out += "Status: " + std::to_string(status);
    if (!reason(status).empty()) out += " " + reason(status);
    out += "\r\n";
  }
  out += "X-Iso: " + tag + "\r\n";
  out += "Set-Cookie: iso=" + tag + "\r\n";
  out += "Set-Cookie: n=" + std::to_string(n) + "\r\n";
  out += "Content-type: text/html; charset=UTF-8\r\n\r\n";
  static constexpr const char* zones[] = {"Europe/Paris", "Asia/Tokyo", "America/Lima", "UTC"};
  out += start_line(base, "{\"req\":\"" + tag + "\"}");
  out += "end|" + base.docroot + "/c" + std::to_string(c) + "|" + tag + "|" +
         std::to_string(precision) + "|ua-" + tag + "|" + pi + "|" + octal((c * 100 + n) % 512) +
         "|" + (n % 2 ? "C.UTF-8" : "C") + "|" + zones[c % 4] + "\n";
  out +=
      std::string(static_cast<std::size_t>((c * requests + n) * 7 + 1), static_cast<char>('a' + c));
  return {status, out};
}

// The first difference, short enough to read in a failure message.
std::string first_difference(const std::string& want, const std::string& got) {
  std::size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
  auto around = [&](const std::string& s) {
    std::size_t from = at < 40 ? 0 : at - 40;
    return s.substr(from, 120);
  };
  return "sizes " + std::to_string(want.size()) + "/" + std::to_string(got.size()) +
         ", first difference at byte " + std::to_string(at) + "\n  want: " + around(want) +
         "\n  got:  " + around(got);
}

}  // namespace

// Requests per client: 500, or $ZFPM_ISOLATION_REQUESTS (docs/testing.md).
int requests_per_client() {
  const char* text = std::getenv("ZFPM_ISOLATION_REQUESTS");
  int value = text ? std::atoi(text) : 0;
  return value > 0 ? value : 500;
}

TEST_CASE("16 keep-alive clients x 500 requests on 4 workers: nothing of one request in another") {
  ZfpmServer server({.workers = 4, .extra_args = {"-d", "expose_php=0"}});
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("isolation.php", isolation_php);
  constexpr int clients = 16;
  const int requests = requests_per_client();
  for (int c = 0; c < clients; ++c) server.docroot.make_dir("c" + std::to_string(c));
  const mode_t test_umask = ::umask(0);  // no other thread runs yet
  ::umask(test_umask);
  const Baseline base{server.docroot.path(), octal(test_umask)};

  // Per client: how many requests matched, and the first mismatch described.
  std::vector<int> matched(clients, 0);
  std::vector<std::string> failures(clients);
  {
    std::latch start(clients);
    std::vector<std::jthread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        start.arrive_and_wait();
        try {
          auto connection = server.connect(30s);
          for (int n = 0; n < requests; ++n) {
            std::string tag = std::to_string(c) + "-" + std::to_string(n);
            auto params =
                params_for(script, {.query = "c=" + std::to_string(c) + "&n=" + std::to_string(n) +
                                             "&r=" + std::to_string(requests),
                                    .headers = {{"Cookie", "req=" + tag}}});
            auto response = connection.request(params, {}, /*keep_conn=*/true);
            auto want = expected_for(base, c, n, requests);
            if (response.status != want.status || response.out != want.out ||
                !response.err.empty() || response.protocol_status != 0) {
              failures[c] = "request " + tag + ": status " + std::to_string(response.status) +
                            ", stderr '" + response.err + "', " +
                            first_difference(want.out, response.out);
              return;
            }
            ++matched[c];
          }
        } catch (const std::exception& e) {
          failures[c] = "client " + std::to_string(c) + " after " + std::to_string(matched[c]) +
                        " requests: " + e.what();
        }
      });
    }
  }

  for (int c = 0; c < clients; ++c) {
    INFO("client ", c);
    CHECK_MESSAGE(failures[c].empty(), failures[c]);
    CHECK(matched[c] == requests);
  }
  // And after all of it, a fresh request still starts from the defaults.
  auto after = server.get(script, "c=0&n=0&r=1");
  CHECK(after.out.find(start_line(base, "[]")) != std::string::npos);
}
