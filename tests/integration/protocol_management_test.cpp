// FastCGI management records and roles over raw sockets: GET_VALUES, an unknown management type,
// and the roles zfpm does not play (AUTHORIZER, FILTER). Each gets its defined answer and the
// connection, or at least the server, goes on serving.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <map>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

struct Record {
  unsigned type = 0, id = 0;
  std::string content;
};

// Reads exactly one record from the connection (bounded by the socket's timeout).
Record read_record(FcgiConnection& connection) {
  std::string header;
  char buffer[65536 + 256];
  auto read_n = [&](std::size_t n) {
    std::string out;
    while (out.size() < n) {
      ssize_t r = ::recv(connection.fd(), buffer, n - out.size(), 0);
      if (r <= 0) throw TestError("connection closed or timed out while reading a record");
      out.append(buffer, static_cast<std::size_t>(r));
    }
    return out;
  };
  set_io_timeout(connection.fd(), 5s);
  header = read_n(8);
  auto byte = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(header[i])); };
  Record record{byte(1), (byte(2) << 8) | byte(3), {}};
  record.content = read_n((byte(4) << 8) | byte(5));
  read_n(byte(6));
  return record;
}

// Name-value pairs with 1-byte lengths (all GET_VALUES_RESULT needs here).
std::map<std::string, std::string> pairs(const std::string& content) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos + 2 <= content.size()) {
    std::size_t n = static_cast<unsigned char>(content[pos]);
    std::size_t v = static_cast<unsigned char>(content[pos + 1]);
    REQUIRE(n < 128);
    REQUIRE(v < 128);
    out[content.substr(pos + 2, n)] = content.substr(pos + 2 + n, v);
    pos += 2 + n + v;
  }
  return out;
}

}  // namespace

TEST_CASE("GET_VALUES answers MAX_CONNS, MAX_REQS and MPXS_CONNS, unknown names are left out") {
  ZfpmServer server({.workers = 3});
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.connect();
  connection.send_raw(fcgi::record(fcgi::get_values, 0,
                                   fcgi::encode_pairs({{"FCGI_MAX_CONNS", ""},
                                                       {"FCGI_MAX_REQS", ""},
                                                       {"FCGI_MPXS_CONNS", ""},
                                                       {"X_UNKNOWN", ""}})));
  auto record = read_record(connection);
  CHECK(record.type == fcgi::get_values_result);
  CHECK(record.id == 0);
  CHECK(pairs(record.content) == std::map<std::string, std::string>{{"FCGI_MAX_CONNS", "3"},
                                                                    {"FCGI_MAX_REQS", "3"},
                                                                    {"FCGI_MPXS_CONNS", "0"}});
  // Unlike php-fpm, which closes after GET_VALUES, the connection goes on.
  auto script = server.script("echo.php", "<?php echo 'ok';");
  CHECK(connection.request(params_for(script)).body == "ok");
}

TEST_CASE("an unknown management record type gets UNKNOWN_TYPE naming it") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto connection = server.connect();
  connection.send_raw(fcgi::record(77, 0, "whatever"));
  auto record = read_record(connection);
  CHECK(record.type == fcgi::unknown_type);
  REQUIRE(record.content.size() == 8);
  CHECK(static_cast<unsigned char>(record.content[0]) == 77);
  CHECK(record.content.substr(1) == std::string(7, '\0'));
  auto script = server.script("echo.php", "<?php echo 'ok';");
  CHECK(connection.request(params_for(script)).body == "ok");
}

TEST_CASE("AUTHORIZER and FILTER get END_REQUEST with FCGI_UNKNOWN_ROLE") {
  ZfpmServer server;
  INFO("zfpm log:\n", server.process.log());
  auto script = server.script("echo.php", "<?php echo 'ok';");
  for (auto role : {fcgi::authorizer, fcgi::filter, static_cast<fcgi::Role>(9)}) {
    CAPTURE(role);
    SUBCASE("without KEEP_CONN the connection closes after the answer") {
      auto connection = server.connect();
      connection.send_raw(fcgi::record(fcgi::begin_request, 5, fcgi::begin_request_body(role, 0)));
      auto record = read_record(connection);
      CHECK(record.type == fcgi::end_request);
      CHECK(record.id == 5);
      REQUIRE(record.content.size() == 8);
      CHECK(record.content[4] == 3);  // FCGI_UNKNOWN_ROLE
      CHECK(connection.read_until_close(5s).closed());
    }
    SUBCASE("with KEEP_CONN the connection serves a responder next") {
      auto connection = server.connect();
      connection.send_raw(fcgi::record(fcgi::begin_request, 5,
                                       fcgi::begin_request_body(role, fcgi::keep_conn_flag)));
      auto record = read_record(connection);
      CHECK(record.type == fcgi::end_request);
      CHECK(record.content[4] == 3);
      CHECK(connection.request(params_for(script)).body == "ok");
    }
  }
}
