// pm.status_path and ping.path as php-fpm serves them (docs/observability.md): every format
// parsed back (JSON and XML by python3's parsers, OpenMetrics by its line grammar), the counters
// against a known load, one ?full record per worker thread, fpm_get_status().
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

constexpr const char* status_pool = "pm.status_path = /status\nping.path = /ping\n";

ZfpmServer status_server(int workers, std::string extra = {}) {
  return ZfpmServer({.workers = workers, .pool_config = status_pool + extra});
}

Response status(const ZfpmServer& server, std::string_view query, std::string method = "GET") {
  auto connection = server.connect();
  return connection.request(
      params_for(server.docroot.file("status"), {.method = method, .query = std::string(query)}));
}

// "label: value" lines of the plain page (the pool part, before any record).
std::map<std::string, std::string> plain_fields(const std::string& body) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line) && !line.empty()) {
    auto colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    REQUIRE(line.size() > 22);
    fields[line.substr(0, colon)] = line.substr(22);
  }
  return fields;
}

// Runs a python3 check on the body; returns its stdout (the check prints what it found).
std::string python_check(const ZfpmServer& server, const std::string& body, const char* code) {
  const std::string input = server.docroot.write("body.txt", body);
  const std::string script = server.docroot.write("check.py", code);
  const std::string command = "python3 " + script + " " + input + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("ping answers ping.response with php-fpm's headers, whatever the query") {
  auto server = status_server(2, "ping.response = alive\n");
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.connect();
  auto response =
      connection.request(params_for(server.docroot.file("ping"), {.query = "anything"}));
  CHECK(response.status == 200);
  CHECK(response.body == "alive");
  CHECK(response.header("Content-Type").value_or("").starts_with("text/plain"));
  CHECK(response.header("Expires") == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(response.header("Cache-Control") == "no-cache, no-store, must-revalidate, max-age=0");
  auto head = server.connect().request(params_for(server.docroot.file("ping"), {.method = "HEAD"}));
  CHECK(head.body.empty());
}

TEST_CASE("ping.response defaults to pong, a path that is not ping runs as a script") {
  auto server = status_server(1);
  CHECK(server.get(server.docroot.file("ping")).body == "pong");
  CHECK(server.get(server.docroot.file("pingx")).status == 404);
}

TEST_CASE("N requests make accepted conn N+1, the status request is the one active worker") {
  auto server = status_server(3);
  INFO("zfpm log:\n", server.process.log());
  const auto script = server.script("hello.php", "<?php echo 'hi';");
  for (int i = 0; i < 5; ++i) REQUIRE(server.get(script).body == "hi");
  // A worker that sent its response may still be on its way back to Idle: ask until only the
  // status request itself is active.
  Response response;
  int asked = 0;
  do {
    response = status(server, "");
    ++asked;
  } while (plain_fields(response.body)["active processes"] != "1" && asked < 100);
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type").value_or("").starts_with("text/plain"));
  CHECK(response.header("Expires") == "Thu, 01 Jan 1970 00:00:00 GMT");
  auto fields = plain_fields(response.body);
  CHECK(fields["pool"] == "www");
  CHECK(fields["process manager"] == "static");
  CHECK(std::regex_match(fields["start time"],
                         std::regex(R"(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})")));
  CHECK(fields["accepted conn"] == std::to_string(5 + asked));
  CHECK(fields["listen queue"] == "0");
  CHECK(std::stoul(fields["listen queue len"]) > 0);  // TCP: the backlog's size
  CHECK(fields["idle processes"] == "2");
  CHECK(fields["active processes"] == "1");
  CHECK(fields["total processes"] == "3");
  CHECK(std::stoi(fields["max active processes"]) >= 1);
  CHECK(fields["max children reached"] == "0");
  CHECK(fields["slow requests"] == "0");
  CHECK(fields.size() == 14);
}

TEST_CASE("while K scripts sleep, K+1 workers are active and ?full shows them Running") {
  auto server = status_server(4);
  INFO("zfpm log:\n", server.process.log());
  const auto script = server.script("sleep.php", "<?php usleep(1500000); echo 'done';");
  auto a = server.connect();
  auto b = server.connect();
  a.send_request(params_for(script, {.query = "k=1"}));
  b.send_request(params_for(script, {.query = "k=2"}));
  const std::regex sleeping(R"(state:                Running\n(?:.*\n){4}request method:       GET\nrequest URI:          /sleep\.php\?k=[12]\n)");
  auto count_running = [&](std::string rest) {
    int running = 0;
    std::smatch m;
    while (std::regex_search(rest, m, sleeping)) {
      ++running;
      rest = m.suffix();
    }
    return running;
  };
  // Until both scripts run and the previous status request's worker is back to Idle.
  std::string body;
  int running = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    body = status(server, "full").body;
    running = count_running(body);
    if (running == 2 && plain_fields(body)["active processes"] == "3") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(plain_fields(body)["active processes"] == "3");
  CHECK(plain_fields(body)["idle processes"] == "1");
  int records = 0;
  for (std::size_t at = 0; (at = body.find("************************\n", at)) != std::string::npos;
       ++at) {
    ++records;
  }
  CHECK(records == 4);  // one per worker thread
  CHECK(running == 2);
  CHECK(body.find("request URI:          /status?full\n") != std::string::npos);
}

TEST_CASE("?json&full parses as JSON with php-fpm's keys and one process per worker") {
  auto server = status_server(3);
  INFO("zfpm log:\n", server.process.log());
  server.get(server.script("a.php", "<?php echo 1;"));
  auto response = status(server, "json&full&q=\"quoted\"/");
  CHECK(response.header("Content-Type").value_or("").starts_with("application/json"));
  const std::string out = python_check(server, response.body, R"(
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["pool", "process manager", "start time", "start since", "accepted conn", "listen queue",
        "max listen queue", "listen queue len", "idle processes", "active processes",
        "total processes", "max active processes", "max children reached", "slow requests",
        "processes"]
assert list(d.keys()) == keys, list(d.keys())
assert isinstance(d["start time"], int)
procs = d["processes"]
mine = [p["request uri"] for p in procs if p["state"] == "Running"]
print(len(procs), d["accepted conn"], d["total processes"], "|".join(mine),
      all(isinstance(p["thread id"], int) for p in procs),
      all(p["state"] in ("Idle", "Running", "Finishing") for p in procs))
)");
  CHECK(out == "3 2 3 /status?json&full&q=\"quoted\"/ True True\n");
}

TEST_CASE("?xml&full parses as XML with one <process> per worker, the URI escaped") {
  auto server = status_server(2);
  INFO("zfpm log:\n", server.process.log());
  auto response = status(server, "xml&full&q=<script>alert(1)</script>");
  CHECK(response.header("Content-Type").value_or("").starts_with("text/xml"));
  CHECK(response.body.find("<script>alert") == std::string::npos);  // GHSA-7qg2
  const std::string out = python_check(server, response.body, R"(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
tags = [c.tag for c in root]
procs = root.find("processes").findall("process")
print(root.tag, len(tags), tags[1], len(procs),
      [p.find("request-uri").text for p in procs if p.find("state").text == "Running"][0])
)");
  CHECK(out == "status 15 process-manager 2 /status?xml&full&q=<script>alert(1)</script>\n");
}

TEST_CASE("?html&full is well-formed XHTML with the URI escaped, ?h is html too") {
  auto server = status_server(2);
  auto response = status(server, "h&f&q=<b>x</b>");
  CHECK(response.header("Content-Type").value_or("").starts_with("text/html"));
  CHECK(response.body.find("<b>x</b>") == std::string::npos);
  const std::string out = python_check(server, response.body, R"(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/1999/xhtml}"
tables = root.iter(ns + "table")
print([len(list(t.iter(ns + "tr"))) for t in tables])
)");
  CHECK(out == "[14, 3]\n");
}

TEST_CASE("?openmetrics follows the exposition grammar and ends with # EOF") {
  auto server = status_server(2);
  auto response = status(server, "openmetrics&full");
  CHECK(response.header("Content-Type") ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
  const std::regex sample(R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9]+(\.[0-9]+)?)");
  const std::regex meta(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  std::istringstream lines(response.body);
  std::string line, last;
  int samples = 0;
  while (std::getline(lines, line)) {
    last = line;
    if (line == "# EOF") continue;
    const bool ok = std::regex_match(line, meta) || std::regex_match(line, sample);
    CHECK_MESSAGE(ok, line);
    if (line[0] != '#') ++samples;
  }
  CHECK(last == "# EOF");
  CHECK(response.body.ends_with("# EOF\n"));
  CHECK(response.body.find("\nphpfpm_total_processes 2\n") != std::string::npos);
  CHECK(response.body.find("\nphpfpm_active_processes 1\n") != std::string::npos);
  CHECK(samples == 12 + 5 * 2);  // php-fpm's twelve, five zfpm_worker_* per worker
}

TEST_CASE("a monitoring client sending only SCRIPT_NAME and QUERY_STRING gets the status") {
  auto server = status_server(1);
  auto connection = server.connect();
  auto response = connection.request({{"SCRIPT_NAME", "/status"}, {"QUERY_STRING", "json"}});
  CHECK(response.header("Content-Type").value_or("").starts_with("application/json"));
  CHECK(response.body.starts_with("{\"pool\":\"www\",\"process manager\":\"static\","));
  CHECK(response.body.ends_with("}"));
}

TEST_CASE("HEAD on the status page sends headers only") {
  auto server = status_server(1);
  auto response = status(server, "json", "HEAD");
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  CHECK(response.header("Cache-Control") == "no-cache, no-store, must-revalidate, max-age=0");
}

TEST_CASE("fpm_get_status() returns php-fpm's array") {
  auto server = status_server(2);
  INFO("zfpm log:\n", server.process.log());
  const auto script = server.script("s.php", R"(<?php $s = fpm_get_status();
echo implode(',', array_keys($s)), "\n", implode(',', array_keys($s['procs'][0])), "\n",
  $s['pool'], ' ', $s['active-processes'], ' ', $s['total-processes'], ' ', count($s['procs']),
  ' ', gettype($s['procs'][0]['last-request-cpu']), "\n";)");
  auto response = server.get(script);
  CHECK(response.body ==
        "pool,process-manager,start-time,start-since,accepted-conn,listen-queue,max-listen-queue,"
        "listen-queue-len,idle-processes,active-processes,total-processes,max-active-processes,"
        "max-children-reached,slow-requests,procs\n"
        "pid,state,start-time,start-since,requests,request-duration,request-method,request-uri,"
        "query-string,request-length,user,script,last-request-cpu,last-request-memory\n"
        "www 1 2 2 double\n");
}
