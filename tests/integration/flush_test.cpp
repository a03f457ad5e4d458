// flush() sends what the script has written so far as it runs, as php-fpm's sapi_cgi_flush does:
// the web server sees the first STDOUT record long before END_REQUEST.
#include <doctest/doctest.h>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

struct Timeline {
  std::string out;
  // When the first STDOUT record holding "first" and END_REQUEST arrived.
  std::optional<std::chrono::steady_clock::time_point> first_seen;
  std::optional<std::chrono::steady_clock::time_point> ended;
  std::string out_at_first_seen;
};

Timeline run_timed(const ZfpmServer& server, const std::string& script) {
  auto connection = server.connect(10s);
  auto id = connection.send_request(params_for(script));
  Timeline t;
  // Bounded: a response this small never needs 1,000 records; a stalled one hits the 10 s timeout.
  for (int i = 0; i < 1000 && !t.ended; ++i) {
    auto record = connection.read_record();
    REQUIRE(record.request_id == id);
    if (record.type == fcgi::stdout_) {
      t.out += record.content;
      if (!t.first_seen && t.out.find("first") != std::string::npos) {
        t.first_seen = record.arrived;
        t.out_at_first_seen = t.out;
      }
    } else if (record.type == fcgi::end_request) {
      t.ended = record.arrived;
    }
  }
  return t;
}

}  // namespace

TEST_CASE("flush() sends output at once: 'first' arrives over a second before END_REQUEST") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("flush.php", "<?php echo 'first'; flush(); usleep(1500000); echo 'second';");

  auto t = run_timed(server, script);

  REQUIRE(t.ended);
  REQUIRE(t.first_seen);
  CHECK(*t.ended - *t.first_seen >= 1s);
  CHECK(t.out_at_first_seen.find("second") == std::string::npos);
  CHECK(parse_cgi_response(t.out).body == "firstsecond");
}

TEST_CASE("ob_start() output is sent by ob_flush() + flush(), not held to the end") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script(
      "ob_flush.php",
      "<?php ob_start(); echo 'first'; ob_flush(); flush(); usleep(1500000); echo 'second';"
      " ob_end_flush();");

  auto t = run_timed(server, script);

  REQUIRE(t.ended);
  REQUIRE(t.first_seen);
  CHECK(*t.ended - *t.first_seen >= 1s);
  CHECK(parse_cgi_response(t.out).body == "firstsecond");
}

TEST_CASE("without a flush, ob_start() output waits for the end of the script") {
  // The counterpart that shows the measurement can fail: nothing of the body comes early.
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script =
      server.script("held.php", "<?php ob_start(); echo 'first'; usleep(1500000); echo 'second';");

  auto t = run_timed(server, script);

  REQUIRE(t.ended);
  REQUIRE(t.first_seen);
  CHECK(*t.ended - *t.first_seen < 500ms);
  CHECK(t.out_at_first_seen.find("second") != std::string::npos);
}
