#include "zfpm/obs/status_page.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

using namespace zfpm::obs;

namespace {

PoolSnapshot sample() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  PoolSnapshot s;
  s.pool = "www";
  s.process_manager = "static";
  s.start_epoch = 1700000000;  // 14/Nov/2023:22:13:20 +0000
  s.now_epoch = 1700000042;
  s.accepted_conn = 7;
  s.listen_queue = 1;
  s.max_listen_queue = 3;
  s.listen_queue_len = 511;
  s.idle = 1;
  s.active = 1;
  s.max_active = 2;
  s.slow_requests = 4;
  SlotSnapshot running;
  running.worker = 0;
  running.pid = 100;
  running.tid = 101;
  running.stage = Stage::Running;
  running.start_epoch = 1700000001;
  running.requests = 5;
  running.duration_us = 1500;
  running.request = {.method = "GET", .uri = "/s.php", .query = "a=<b>&c=\"/\"", .user = "bob",
                     .script = "/srv/s.php", .content_length = 0};
  SlotSnapshot idle;
  idle.worker = 1;
  idle.pid = 100;
  idle.tid = 102;
  idle.start_epoch = 1700000001;
  idle.requests = 2;
  idle.duration_us = 250;
  idle.last_cpu_percent = 12.345;
  idle.last_memory = 2097152;
  s.slots = {running, idle};
  return s;
}

}  // namespace

TEST_CASE("the plain status page is php-fpm's, label padded to column 22") {
  const std::string expected =
      "pool:                 www\n"
      "process manager:      static\n"
      "start time:           14/Nov/2023:22:13:20 +0000\n"
      "start since:          42\n"
      "accepted conn:        7\n"
      "listen queue:         1\n"
      "max listen queue:     3\n"
      "listen queue len:     511\n"
      "idle processes:       1\n"
      "active processes:     1\n"
      "total processes:      2\n"
      "max active processes: 2\n"
      "max children reached: 0\n"
      "slow requests:        4\n";
  CHECK(render_status(sample(), {StatusFormat::Plain, false}) == expected);
}

TEST_CASE("the full plain page has one record per worker after a row of stars") {
  const std::string page = render_status(sample(), {StatusFormat::Plain, true});
  const std::string first =
      "\n************************\n"
      "pid:                  100\n"
      "state:                Running\n"
      "start time:           14/Nov/2023:22:13:21 +0000\n"
      "start since:          41\n"
      "requests:             5\n"
      "request duration:     1500\n"
      "request method:       GET\n"
      "request URI:          /s.php?a=<b>&c=\"/\"\n"
      "content length:       0\n"
      "user:                 bob\n"
      "script:               /srv/s.php\n"
      "last request cpu:     0.00\n"
      "last request memory:  0\n";
  CHECK(page.find(first) != std::string::npos);
  CHECK(page.find("request method:       -\nrequest URI:          -\n") != std::string::npos);
  CHECK(page.find("last request cpu:     12.35\nlast request memory:  2097152\n") !=
        std::string::npos);
}

TEST_CASE("JSON: php-fpm's keys, bare epochs, escaped URI, a thread id per process") {
  CHECK(render_status(sample(), {StatusFormat::Json, false}) ==
        "{\"pool\":\"www\",\"process manager\":\"static\",\"start time\":1700000000,"
        "\"start since\":42,\"accepted conn\":7,\"listen queue\":1,\"max listen queue\":3,"
        "\"listen queue len\":511,\"idle processes\":1,\"active processes\":1,"
        "\"total processes\":2,\"max active processes\":2,\"max children reached\":0,"
        "\"slow requests\":4}");
  const std::string full = render_status(sample(), {StatusFormat::Json, true});
  CHECK(full.find(", \"processes\":[{\"pid\":100,\"state\":\"Running\",\"start time\":1700000001,")
        != std::string::npos);
  CHECK(full.find("\"request uri\":\"\\/s.php?a=<b>&c=\\\"\\/\\\"\"") != std::string::npos);
  CHECK(full.find("\"last request memory\":0,\"thread id\":101}") != std::string::npos);
  CHECK(full.ends_with("\"thread id\":102}]}"));
}

TEST_CASE("XML and HTML escape the URI and query (GHSA-7qg2)") {
  const std::string xml = render_status(sample(), {StatusFormat::Xml, true});
  CHECK(xml.starts_with("<?xml version=\"1.0\" ?>\n<status>\n<pool>www</pool>\n"
                        "<process-manager>static</process-manager>\n"
                        "<start-time>1700000000</start-time>\n"));
  CHECK(xml.find("<request-uri>/s.php?a=&lt;b&gt;&amp;c=&quot;/&quot;</request-uri>") !=
        std::string::npos);
  CHECK(xml.find("<b>") == std::string::npos);
  CHECK(xml.ends_with("</processes>\n</status>"));
  CHECK(render_status(sample(), {StatusFormat::Xml, false}).ends_with("</slow-requests>\n</status>"));
  const std::string html = render_status(sample(), {StatusFormat::Html, true});
  CHECK(html.find("<tr><th>pool</th><td>www</td></tr>\n") != std::string::npos);
  CHECK(html.find("<td>/s.php?a=&lt;b&gt;&amp;c=&quot;/&quot;</td>") != std::string::npos);
  CHECK(html.ends_with("</table></body></html>"));
  CHECK(render_status(sample(), {StatusFormat::Html, false}).ends_with("</table>\n</body></html>"));
}

TEST_CASE("OpenMetrics: php-fpm's families, zfpm's per-worker series, every line well formed") {
  const std::string text = render_status(sample(), {StatusFormat::OpenMetrics, true});
  CHECK(text.starts_with("# HELP phpfpm_up Could pool www using a static PM on PHP-FPM be "
                         "reached?\n# TYPE phpfpm_up gauge\nphpfpm_up 1\n"));
  CHECK(text.find("\nphpfpm_accepted_connections 7\n") != std::string::npos);
  CHECK(text.find("\nphpfpm_total_processes 2\n") != std::string::npos);
  CHECK(text.find("zfpm_worker_requests_total{pool=\"www\",worker=\"1\",tid=\"102\"} 2\n") !=
        std::string::npos);
  CHECK(text.ends_with("# EOF\n"));
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line == "# EOF") continue;
    // name[{labels}] value
    const auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    const std::string value = line.substr(space + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    CHECK_MESSAGE(*end == '\0', line);
    CHECK_MESSAGE((std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_'), line);
    ++samples;
  }
  CHECK(samples == 12 + 5 * 2);
}

TEST_CASE("OpenMetrics without full is php-fpm's page exactly: no zfpm series") {
  const std::string text = render_status(sample(), {StatusFormat::OpenMetrics, false});
  CHECK(text.find("zfpm_worker") == std::string::npos);
  CHECK(text.ends_with("\nphpfpm_slow_requests 4\n# EOF\n"));
}
