#include "zfpm/fcgi/reply.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "zfpm/fcgi/encoder.hpp"
#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/parser.hpp"

namespace zfpm::fcgi {
namespace {

struct Record {
  unsigned type = 0;
  unsigned id = 0;
  std::string content;
};

unsigned byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// A reader of its own for the reply's records: version 1, lengths, padding to a multiple of 8.
std::vector<Record> records_of(std::string_view bytes) {
  std::vector<Record> out;
  while (!bytes.empty()) {
    REQUIRE(bytes.size() >= 8);
    CHECK(byte_at(bytes, 0) == 1);
    const std::size_t length = byte_at(bytes, 4) << 8 | byte_at(bytes, 5);
    const std::size_t padding = byte_at(bytes, 6);
    CHECK((length + padding) % 8 == 0);
    REQUIRE(bytes.size() >= 8 + length + padding);
    out.push_back({byte_at(bytes, 1), byte_at(bytes, 2) << 8 | byte_at(bytes, 3),
                   std::string(bytes.substr(8, length))});
    bytes.remove_prefix(8 + length + padding);
  }
  return out;
}

// The one event the parser gives for these bytes.
Event event_of(const std::string& wire) {
  Parser parser;
  std::vector<Event> events;
  parser.feed(wire, events);
  REQUIRE(events.size() == 1);
  return std::move(events.front());
}

std::string get_values(const std::vector<std::string>& names) {
  std::string body;
  for (const auto& name : names) append_name_value(body, name, "");
  std::string wire;
  append_stream(wire, RecordType::GetValues, kManagementId, body);
  return wire;
}

std::string begin(std::uint16_t id, Role role, bool keep_conn) {
  std::string wire;
  append_begin_request(wire, id, role, keep_conn);
  return wire;
}

TEST_CASE("GET_VALUES is answered with the worker count and no multiplexing, in the order asked") {
  const auto asked = std::get<GetValues>(
      event_of(get_values({"FCGI_MPXS_CONNS", "FCGI_MAX_REQS", "FCGI_MAX_CONNS"})));
  const Reply reply = reply_to(asked, 12);
  CHECK_FALSE(reply.close_after);
  const auto records = records_of(reply.records);
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == 10);  // FCGI_GET_VALUES_RESULT
  CHECK(records[0].id == 0);
  std::string error;
  const auto values = Params::decode(records[0].content, {}, &error);
  REQUIRE(values.has_value());
  REQUIRE(values->size() == 3);
  CHECK((*values)[0].name == "FCGI_MPXS_CONNS");
  CHECK((*values)[0].value == "0");
  CHECK((*values)[1].name == "FCGI_MAX_REQS");
  CHECK((*values)[1].value == "12");
  CHECK((*values)[2].name == "FCGI_MAX_CONNS");
  CHECK((*values)[2].value == "12");
}

TEST_CASE("GET_VALUES leaves out the names it does not know") {
  const auto asked = std::get<GetValues>(event_of(get_values({"FCGI_FOO", "FCGI_MAX_CONNS"})));
  const auto records = records_of(reply_to(asked, 3).records);
  REQUIRE(records.size() == 1);
  const auto values = Params::decode(records[0].content, {}, nullptr);
  REQUIRE(values.has_value());
  REQUIRE(values->size() == 1);
  CHECK(values->find("FCGI_MAX_CONNS") == std::optional<std::string_view>("3"));
  CHECK_FALSE(values->find("FCGI_FOO").has_value());
}

TEST_CASE("GET_VALUES asking nothing it knows gets an empty result record") {
  const auto asked = std::get<GetValues>(event_of(get_values({"X"})));
  CHECK(reply_to(asked, 3).records == std::string("\x01\x0a\x00\x00\x00\x00\x00\x00", 8));
}

TEST_CASE("a refused role ends its request with UNKNOWN_ROLE and the connection unless kept") {
  const auto dropped = std::get<BeginRejected>(event_of(begin(7, Role::Filter, false)));
  const Reply closing = reply_to(dropped);
  CHECK(closing.close_after);
  const auto records = records_of(closing.records);
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == 3);  // FCGI_END_REQUEST
  CHECK(records[0].id == 7);
  CHECK(records[0].content == std::string("\x00\x00\x00\x00\x03\x00\x00\x00", 8));

  const auto kept = std::get<BeginRejected>(event_of(begin(8, Role::Authorizer, true)));
  const Reply staying = reply_to(kept);
  CHECK_FALSE(staying.close_after);
  REQUIRE(records_of(staying.records).size() == 1);
  CHECK(records_of(staying.records)[0].id == 8);
}

TEST_CASE("a second request on a busy connection gets CANT_MPX_CONN and leaves it open") {
  Parser parser;
  std::vector<Event> events;
  parser.feed(begin(1, Role::Responder, true) + begin(2, Role::Responder, false), events);
  REQUIRE(events.size() == 1);
  const Reply reply = reply_to(std::get<BeginRejected>(events[0]));
  CHECK_FALSE(reply.close_after);  // even without FCGI_KEEP_CONN: the running request decides
  const auto records = records_of(reply.records);
  REQUIRE(records.size() == 1);
  CHECK(records[0].id == 2);
  CHECK(records[0].content == std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8));
}

TEST_CASE("an unknown management record is answered with UNKNOWN_TYPE naming it") {
  std::string wire;
  append_header(wire, static_cast<RecordType>(200), kManagementId, 0, 0);
  const Reply reply = reply_to(std::get<UnknownManagement>(event_of(wire)));
  CHECK_FALSE(reply.close_after);
  CHECK(reply.records ==
        std::string("\x01\x0b\x00\x00\x00\x08\x00\x00\xc8\x00\x00\x00\x00\x00\x00\x00", 16));
}

TEST_CASE(
    "an aborted request that never ran ends with REQUEST_COMPLETE, keeping the connection "
    "only with FCGI_KEEP_CONN") {
  for (const bool keep : {true, false}) {
    CAPTURE(keep);
    std::string wire = begin(5, Role::Responder, keep);
    append_header(wire, RecordType::AbortRequest, 5, 0, 0);
    Parser parser;
    std::vector<Event> events;
    parser.feed(wire, events);
    REQUIRE(events.size() == 1);
    const auto& aborted = std::get<Aborted>(events[0]);
    CHECK_FALSE(aborted.running);
    const Reply reply = reply_to(aborted);
    CHECK(reply.close_after == !keep);
    const auto records = records_of(reply.records);
    REQUIRE(records.size() == 1);
    CHECK(records[0].type == 3);
    CHECK(records[0].id == 5);
    CHECK(records[0].content == std::string(8, '\0'));
  }
}

}  // namespace
}  // namespace zfpm::fcgi
