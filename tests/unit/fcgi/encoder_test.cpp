#include "zfpm/fcgi/encoder.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/parser.hpp"

namespace zfpm::fcgi {
namespace {

struct Record {
  std::uint8_t version, type;
  std::uint16_t id;
  std::string content;
  std::string padding;
};

unsigned byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// An independent reader for what the encoder wrote: checks framing, keeps padding for inspection.
std::vector<Record> records_of(std::string_view bytes) {
  std::vector<Record> out;
  while (!bytes.empty()) {
    REQUIRE(bytes.size() >= 8);
    Record r;
    r.version = static_cast<std::uint8_t>(byte_at(bytes, 0));
    r.type = static_cast<std::uint8_t>(byte_at(bytes, 1));
    r.id = static_cast<std::uint16_t>(byte_at(bytes, 2) << 8 | byte_at(bytes, 3));
    const std::size_t length = byte_at(bytes, 4) << 8 | byte_at(bytes, 5);
    const std::size_t padding = byte_at(bytes, 6);
    CHECK(byte_at(bytes, 7) == 0);
    REQUIRE(bytes.size() >= 8 + length + padding);
    r.content = bytes.substr(8, length);
    r.padding = bytes.substr(8 + length, padding);
    out.push_back(std::move(r));
    bytes.remove_prefix(8 + length + padding);
  }
  return out;
}

TEST_CASE("a record header is 8 bytes in network byte order") {
  std::string out;
  append_header(out, RecordType::Stdout, 0x1234, 0x0102, 6);
  CHECK(out == std::string("\x01\x06\x12\x34\x01\x02\x06\x00", 8));
}

TEST_CASE("short stream data is padded to a multiple of 8 with zero bytes") {
  std::string out;
  append_stream(out, RecordType::Stdout, 3, "Status: 200\r\n");
  CHECK(out.size() % 8 == 0);
  const auto records = records_of(out);
  REQUIRE(records.size() == 1);
  CHECK(records[0].version == 1);
  CHECK(records[0].type == 6);
  CHECK(records[0].id == 3);
  CHECK(records[0].content == "Status: 200\r\n");
  CHECK(records[0].padding == std::string(3, '\0'));
}

TEST_CASE("stream data whose length is a multiple of 8 gets no padding") {
  std::string out;
  append_stream(out, RecordType::Stderr, 1, "12345678");
  CHECK(out.size() == 16);
  CHECK(byte_at(out, 6) == 0);
}

TEST_CASE("stream data over 65535 bytes is cut into padded records") {
  std::string data(150001, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  std::string out;
  append_stream(out, RecordType::Stdout, 9, data);
  const auto records = records_of(out);
  REQUIRE(records.size() == 3);
  std::string joined;
  for (const Record& r : records) {
    CHECK(r.type == 6);
    CHECK(r.id == 9);
    CHECK(r.content.size() <= kMaxContentLength);
    CHECK((r.content.size() + r.padding.size()) % 8 == 0);
    CHECK(r.padding == std::string(r.padding.size(), '\0'));
    joined += r.content;
  }
  CHECK(records[0].content.size() == 65528);
  CHECK(records[1].content.size() == 65528);
  CHECK(records[2].content.size() == 150001 - 2 * 65528);
  CHECK(joined == data);
}

TEST_CASE("stream data of exactly one full chunk is one record") {
  std::string out;
  append_stream(out, RecordType::Stdout, 1, std::string(65528, 'x'));
  const auto records = records_of(out);
  REQUIRE(records.size() == 1);
  CHECK(records[0].padding.empty());
}

TEST_CASE("empty stream data appends nothing") {
  std::string out = "keep";
  append_stream(out, RecordType::Stdout, 1, "");
  CHECK(out == "keep");
}

TEST_CASE("records are appended after what the buffer already holds") {
  std::string out = "prefix";
  append_stream(out, RecordType::Stdout, 1, "x");
  REQUIRE(out.size() == 6 + 16);
  CHECK(out.substr(0, 6) == "prefix");
  CHECK(records_of(std::string_view(out).substr(6))[0].content == "x");
}

TEST_CASE("append_stream_end writes a zero-length record") {
  std::string out;
  append_stream_end(out, RecordType::Stdout, 0x0102);
  CHECK(out == std::string("\x01\x06\x01\x02\x00\x00\x00\x00", 8));
}

TEST_CASE("END_REQUEST carries the app status big-endian and the protocol status") {
  std::string out;
  append_end_request(out, 5, 0x01020304, ProtocolStatus::UnknownRole);
  const auto records = records_of(out);
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == 3);
  CHECK(records[0].id == 5);
  CHECK(records[0].content == std::string("\x01\x02\x03\x04\x03\x00\x00\x00", 8));
}

TEST_CASE("GET_VALUES_RESULT is one management record of name-value pairs") {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"FCGI_MAX_CONNS", "16"}, {"FCGI_MAX_REQS", "16"}, {"FCGI_MPXS_CONNS", "0"}};
  std::string out;
  append_get_values_result(out, values);
  const auto records = records_of(out);
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == 10);
  CHECK(records[0].id == 0);
  CHECK(out.size() % 8 == 0);
  std::string error;
  const auto params = Params::decode(records[0].content, {}, &error);
  REQUIRE(params.has_value());
  REQUIRE(params->size() == 3);
  CHECK(params->find("FCGI_MAX_CONNS") == std::optional<std::string_view>("16"));
  CHECK(params->find("FCGI_MPXS_CONNS") == std::optional<std::string_view>("0"));
}

TEST_CASE("GET_VALUES_RESULT with no values is an empty record") {
  std::string out;
  append_get_values_result(out, {});
  CHECK(out == std::string("\x01\x0a\x00\x00\x00\x00\x00\x00", 8));
}

TEST_CASE("GET_VALUES_RESULT leaves out pairs that would overflow its record") {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"A", "1"}, {"BIG", std::string(70000, 'x')}, {"C", "3"}};
  std::string out;
  append_get_values_result(out, values);
  const auto records = records_of(out);
  REQUIRE(records.size() == 1);
  const auto params = Params::decode(records[0].content, {}, nullptr);
  REQUIRE(params.has_value());
  REQUIRE(params->size() == 1);
  CHECK(params->find("A").has_value());
}

TEST_CASE("UNKNOWN_TYPE names the type on the management id") {
  std::string out;
  append_unknown_type(out, 200);
  CHECK(out == std::string("\x01\x0b\x00\x00\x00\x08\x00\x00\xc8\x00\x00\x00\x00\x00\x00\x00", 16));
}

TEST_CASE("BEGIN_REQUEST for clients encodes role and keep-conn") {
  std::string out;
  append_begin_request(out, 1, Role::Responder, true);
  append_begin_request(out, 2, Role::Filter, false);
  const auto records = records_of(out);
  REQUIRE(records.size() == 2);
  CHECK(records[0].type == 1);
  CHECK(records[0].content == std::string("\x00\x01\x01\x00\x00\x00\x00\x00", 8));
  CHECK(records[1].id == 2);
  CHECK(records[1].content == std::string("\x00\x03\x00\x00\x00\x00\x00\x00", 8));
}

TEST_CASE("a request built by the encoder round-trips through the parser") {
  std::string params;
  append_name_value(params, "SCRIPT_FILENAME", "/srv/app.php");
  append_name_value(params, "HTTP_COOKIE", std::string(100000, 'C'));  // spans PARAMS records
  append_name_value(params, std::string(130, 'K'), "");
  std::string body(131072 + 3, '\0');  // three STDIN records
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31);

  std::string wire;
  append_begin_request(wire, 0xfffe, Role::Responder, true);
  append_stream(wire, RecordType::Params, 0xfffe, params);
  append_stream_end(wire, RecordType::Params, 0xfffe);
  append_stream(wire, RecordType::Stdin, 0xfffe, body);
  append_stream_end(wire, RecordType::Stdin, 0xfffe);

  Parser parser;
  std::vector<Event> events;
  parser.feed(wire, events);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<RequestReady>(events[0]));
  const Request& r = std::get<RequestReady>(events[0]).request;
  CHECK(r.id == 0xfffe);
  CHECK(r.keep_conn);
  REQUIRE(r.params.size() == 3);
  CHECK(r.params.find("SCRIPT_FILENAME") == std::optional<std::string_view>("/srv/app.php"));
  CHECK(r.params.find("HTTP_COOKIE") == std::string(100000, 'C'));
  CHECK(r.params.find(std::string(130, 'K')) == std::optional<std::string_view>(""));
  CHECK(r.body == body);
}

TEST_CASE("management answers round-trip: GET_VALUES in, names out") {
  std::string names;
  append_name_value(names, "FCGI_MAX_CONNS", "");
  std::string wire;
  append_stream(wire, RecordType::GetValues, kManagementId, names);

  Parser parser;
  std::vector<Event> events;
  parser.feed(wire, events);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<GetValues>(events[0]));
  CHECK(std::get<GetValues>(events[0]).names == std::vector<std::string>{"FCGI_MAX_CONNS"});
}

}  // namespace
}  // namespace zfpm::fcgi
