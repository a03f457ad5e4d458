#include "zfpm/fcgi/parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "zfpm/fcgi/encoder.hpp"

namespace zfpm::fcgi {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string begin(std::uint16_t id, Role role = Role::Responder, bool keep_conn = false) {
  std::string out;
  append_begin_request(out, id, role, keep_conn);
  return out;
}

std::string params_stream(std::uint16_t id, const Pairs& pairs) {
  std::string encoded;
  for (const auto& [name, value] : pairs) append_name_value(encoded, name, value);
  std::string out;
  append_stream(out, RecordType::Params, id, encoded);
  append_stream_end(out, RecordType::Params, id);
  return out;
}

std::string stdin_stream(std::uint16_t id, std::string_view body) {
  std::string out;
  append_stream(out, RecordType::Stdin, id, body);
  append_stream_end(out, RecordType::Stdin, id);
  return out;
}

std::string request(std::uint16_t id, const Pairs& pairs, std::string_view body,
                    bool keep_conn = false) {
  return begin(id, Role::Responder, keep_conn) + params_stream(id, pairs) + stdin_stream(id, body);
}

// A record written by hand, so that parser tests do not depend on the encoder's choices.
std::string raw_record(std::uint8_t type, std::uint16_t id, std::string_view content,
                       std::uint8_t padding = 0, std::uint8_t version = 1) {
  const auto byte = [](unsigned v) { return static_cast<char>(v & 0xff); };
  // The reserved byte is set, to show that it is ignored.
  std::string out = {
      byte(version),        byte(type),    byte(id >> 8), byte(id), byte(content.size() >> 8),
      byte(content.size()), byte(padding), '\x5a'};
  return out.append(content).append(padding, '\xff');
}

std::vector<Event> feed(Parser& parser, std::string_view bytes) {
  std::vector<Event> events;
  parser.feed(std::span<const char>(bytes.data(), bytes.size()), events);
  return events;
}

// Feeds bytes in two parts cut at `cut`, as two reads from the socket would.
std::vector<Event> feed_split(Parser& parser, std::string_view bytes, std::size_t cut) {
  auto events = feed(parser, bytes.substr(0, cut));
  for (auto& e : feed(parser, bytes.substr(cut))) events.push_back(std::move(e));
  return events;
}

template <class T>
const T& as(const Event& event) {
  REQUIRE(std::holds_alternative<T>(event));
  return std::get<T>(event);
}

// The one request that bytes must produce, as the only event.
Request ready(Parser& parser, std::string_view bytes) {
  auto events = feed(parser, bytes);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<RequestReady>(events[0]));
  return std::move(std::get<RequestReady>(events[0]).request);
}

// The protocol error that bytes must produce, as the only event.
std::string error_of(Parser& parser, std::string_view bytes) {
  const auto events = feed(parser, bytes);
  REQUIRE(events.size() == 1);
  CHECK(parser.failed());
  return as<ProtocolError>(events[0]).what;
}

const Pairs kParams = {{"SCRIPT_FILENAME", "/var/www/index.php"},
                       {"REQUEST_METHOD", "POST"},
                       {"HTTP_HOST", "example.org"}};

void check_request(const Request& r, std::uint16_t id, std::string_view body) {
  CHECK(r.id == id);
  CHECK(r.role == Role::Responder);
  REQUIRE(r.params.size() == 3);
  CHECK(r.params.find("SCRIPT_FILENAME") == std::optional<std::string_view>("/var/www/index.php"));
  CHECK(r.params.find("REQUEST_METHOD") == std::optional<std::string_view>("POST"));
  CHECK(r.params.find("HTTP_HOST") == std::optional<std::string_view>("example.org"));
  CHECK(r.body == body);
}

TEST_CASE("a complete request in one read is ready once") {
  Parser parser;
  const auto events = feed(parser, request(1, kParams, "a=1&b=2", true));
  REQUIRE(events.size() == 1);
  const Request& r = as<RequestReady>(events[0]).request;
  check_request(r, 1, "a=1&b=2");
  CHECK(r.keep_conn);
  CHECK_FALSE(parser.failed());
  CHECK_FALSE(parser.mid_request());

  Parser without_keep_conn;
  CHECK_FALSE(ready(without_keep_conn, request(1, kParams, "")).keep_conn);
}

TEST_CASE("a record split across three reads decodes once") {
  const std::string bytes = request(7, kParams, "body");
  Parser parser;
  // Inside the BEGIN header, then inside the PARAMS content, then the rest.
  CHECK(feed(parser, std::string_view(bytes).substr(0, 3)).empty());
  CHECK_FALSE(parser.mid_request());
  CHECK(feed(parser, std::string_view(bytes).substr(3, 16)).empty());
  CHECK(parser.mid_request());  // a slow client: a partial request is pending
  const auto events = feed(parser, std::string_view(bytes).substr(19));
  REQUIRE(events.size() == 1);
  check_request(as<RequestReady>(events[0]).request, 7, "body");
}

TEST_CASE("feeding one byte at a time yields the same request") {
  const std::string bytes = request(2, kParams, std::string(300, 'x'));
  Parser parser;
  std::vector<Event> events;
  for (const char& c : bytes) {
    parser.feed(std::span<const char>(&c, 1), events);
    if (&c != &bytes.back()) REQUIRE(events.empty());
  }
  REQUIRE(events.size() == 1);
  check_request(as<RequestReady>(events[0]).request, 2, std::string(300, 'x'));
}

TEST_CASE("every 2-way split of a small request yields the same request") {
  const std::string bytes = request(3, kParams, "hello, world");
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    CAPTURE(cut);
    Parser parser;
    const auto events = feed_split(parser, bytes, cut);
    REQUIRE(events.size() == 1);
    check_request(as<RequestReady>(events[0]).request, 3, "hello, world");
  }
}

TEST_CASE("padding is skipped whatever its bytes, and the reserved byte is ignored") {
  std::string bytes = raw_record(1, 1, std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8), 3);
  std::string pairs;
  append_name_value(pairs, "A", "1");
  bytes += raw_record(4, 1, pairs, 5) + raw_record(4, 1, "", 7);
  bytes += raw_record(5, 1, "xyz", 255) + raw_record(5, 1, "", 1);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    CAPTURE(cut);
    Parser parser;
    const auto events = feed_split(parser, bytes, cut);
    REQUIRE(events.size() == 1);
    const Request& r = as<RequestReady>(events[0]).request;
    CHECK(r.params.find("A") == std::optional<std::string_view>("1"));
    CHECK(r.body == "xyz");
  }
}

TEST_CASE("an empty STDIN before the end of PARAMS still yields one request") {
  Parser parser;
  check_request(ready(parser, begin(1) + stdin_stream(1, "") + raw_record(5, 1, "after the end") +
                                  params_stream(1, kParams)),
                1, "");
}

TEST_CASE("many records in one read: management records around a request, in order") {
  std::string names;
  append_name_value(names, "FCGI_MPXS_CONNS", "");
  const std::string bytes =
      raw_record(9, 0, names) + request(1, kParams, "b") + raw_record(99, 0, std::string(8, '\0'));
  Parser parser;
  const auto events = feed(parser, bytes);
  REQUIRE(events.size() == 3);
  CHECK(as<GetValues>(events[0]).names == std::vector<std::string>{"FCGI_MPXS_CONNS"});
  check_request(as<RequestReady>(events[1]).request, 1, "b");
  CHECK(as<UnknownManagement>(events[2]).type == 99);
}

TEST_CASE("AUTHORIZER and FILTER roles are rejected with UnknownRole") {
  for (Role role : {Role::Authorizer, Role::Filter, static_cast<Role>(42)}) {
    CAPTURE(static_cast<int>(role));
    Parser parser;
    const auto events = feed(parser, begin(5, role, true));
    REQUIRE(events.size() == 1);
    const auto& rejected = as<BeginRejected>(events[0]);
    CHECK(rejected.request_id == 5);
    CHECK(rejected.status == ProtocolStatus::UnknownRole);
    CHECK(rejected.keep_conn);
    CHECK_FALSE(parser.mid_request());
    CHECK(ready(parser, request(6, kParams, "")).id == 6);  // the connection stays usable
  }
}

TEST_CASE("a second BEGIN_REQUEST while a request runs is rejected with CANT_MPX_CONN") {
  Parser parser;
  // While the first is still receiving: it must complete untouched.
  auto events = feed(parser, begin(1) + params_stream(1, kParams) + begin(2, Role::Responder) +
                                 stdin_stream(1, "first"));
  REQUIRE(events.size() == 2);
  const auto& rejected = as<BeginRejected>(events[0]);
  CHECK(rejected.request_id == 2);
  CHECK(rejected.status == ProtocolStatus::CantMpxConn);
  check_request(as<RequestReady>(events[1]).request, 1, "first");

  // While the first is running (handed out, not finished).
  events = feed(parser, begin(3));
  REQUIRE(events.size() == 1);
  CHECK(as<BeginRejected>(events[0]).request_id == 3);
  CHECK(as<BeginRejected>(events[0]).status == ProtocolStatus::CantMpxConn);
}

TEST_CASE("request_finished() allows the next BEGIN on a keep-alive connection") {
  Parser parser;
  check_request(ready(parser, request(1, kParams, "one", true)), 1, "one");
  parser.request_finished();
  const Request r = ready(parser, request(1, {{"A", "2"}}, "two", true));
  CHECK(r.body == "two");
  REQUIRE(r.params.size() == 1);  // nothing left over from the first request
  CHECK(r.params.find("A") == std::optional<std::string_view>("2"));
}

TEST_CASE("ABORT_REQUEST is reported for the open request only") {
  Parser parser;
  CHECK(feed(parser, raw_record(2, 4, "")).empty());  // nothing open
  ready(parser, request(4, kParams, ""));
  CHECK(feed(parser, raw_record(2, 9, "")).empty());  // another id
  const auto events = feed(parser, raw_record(2, 4, ""));
  REQUIRE(events.size() == 1);
  CHECK(as<Aborted>(events[0]).request_id == 4);
  parser.request_finished();
  CHECK(feed(parser, raw_record(2, 4, "")).empty());  // already finished
}

TEST_CASE("ABORT_REQUEST while the request is still receiving: no RequestReady follows") {
  Parser parser;
  auto events = feed(parser, begin(4) + params_stream(4, kParams) + raw_record(2, 4, ""));
  REQUIRE(events.size() == 1);
  CHECK(as<Aborted>(events[0]).request_id == 4);
  CHECK_FALSE(parser.mid_request());
  CHECK(feed(parser, stdin_stream(4, "late")).empty());
  parser.request_finished();
  CHECK(ready(parser, request(5, kParams, "")).id == 5);
}

TEST_CASE("stream records for other request ids are ignored") {
  Parser parser;
  check_request(
      ready(parser, begin(1) + params_stream(2, {{"EVIL", "1"}}) + params_stream(1, kParams) +
                        stdin_stream(2, "evil") + stdin_stream(1, "good")),
      1, "good");

  Parser idle;  // no open request at all
  CHECK(feed(idle, params_stream(1, kParams) + stdin_stream(1, "x")).empty());
  CHECK_FALSE(idle.failed());
}

TEST_CASE("stream records after their stream ended are ignored") {
  Parser parser;
  check_request(
      ready(parser, begin(1) + params_stream(1, kParams) + params_stream(1, {{"LATE", "1"}}) +
                        stdin_stream(1, "body") + stdin_stream(1, "more")),
      1, "body");
  CHECK(feed(parser, stdin_stream(1, "after")).empty());
}

TEST_CASE("DATA records and unknown types on a request id are ignored") {
  Parser parser;
  check_request(
      ready(parser, begin(1) + raw_record(8, 1, "filter data", 5) + raw_record(77, 1, "??") +
                        raw_record(9, 1, "") + params_stream(1, kParams) + stdin_stream(1, "")),
      1, "");
}

TEST_CASE("GET_VALUES names are decoded, also while a request runs") {
  std::string names;
  for (const char* n : {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"}) {
    append_name_value(names, n, "");
  }
  Parser parser;
  REQUIRE(feed(parser, begin(1)).empty());
  const auto events = feed(parser, raw_record(9, 0, names, 3));
  REQUIRE(events.size() == 1);
  CHECK(as<GetValues>(events[0]).names ==
        std::vector<std::string>{"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"});
  CHECK(parser.mid_request());
}

TEST_CASE("malformed GET_VALUES is a protocol error") {
  Parser parser;
  CHECK(error_of(parser, raw_record(9, 0, std::string{'\x09', 'A', 'B'})) ==
        "malformed GET_VALUES: name-value pair runs past the end of the stream");
}

TEST_CASE("unknown management type reported") {
  Parser parser;
  auto events = feed(parser, raw_record(200, 0, "whatever", 0));
  REQUIRE(events.size() == 1);
  CHECK(as<UnknownManagement>(events[0]).type == 200);
  // Types that only make sense on a request id are unknown on the management id.
  events = feed(parser, raw_record(1, 0, std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8)));
  REQUIRE(events.size() == 1);
  CHECK(as<UnknownManagement>(events[0]).type == 1);
  CHECK_FALSE(parser.mid_request());
}

TEST_CASE("BEGIN_REQUEST with a body other than 8 bytes is a protocol error") {
  for (std::size_t length : {0u, 7u, 9u, 16u}) {
    CAPTURE(length);
    Parser parser;
    CHECK(error_of(parser, raw_record(1, 1, std::string(length, '\x01'))) ==
          "BEGIN_REQUEST content is " + std::to_string(length) + " bytes, expected 8");
  }
}

// The one event a request over a limit gives: OverLimit, once both its streams have ended.
OverLimit over_limit_of(Parser& parser, const std::string& bytes) {
  const auto events = feed(parser, bytes);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<OverLimit>(events[0]));
  CHECK_FALSE(parser.failed());
  return as<OverLimit>(events[0]);
}

TEST_CASE("params over the limit: the request is refused with 431 once it has arrived") {
  ParserLimits limits;
  limits.max_params_bytes = 64;
  Parser exact(limits);
  const std::string value(64 - 2 - 1, 'v');  // 1-byte lengths + 1-byte name + value = 64
  CHECK(ready(exact, request(1, {{"A", value}}, "")).params.size() == 1);

  Parser parser(limits);
  const std::string wire = request(1, {{"A", value + "v"}}, "body");
  // Nothing while the rest of it arrives (its records are dropped), then one OverLimit.
  CHECK(feed(parser, wire.substr(0, wire.size() - 8)).empty());
  CHECK(parser.mid_request());
  const OverLimit refused = over_limit_of(parser, wire.substr(wire.size() - 8));
  CHECK(refused.request_id == 1);
  CHECK(refused.http_status == 431);
  CHECK(refused.what == "PARAMS stream larger than max_params_bytes (64 bytes)");

  // The connection answers, and the next request on it is served as any other.
  parser.request_finished();
  CHECK(ready(parser, request(2, {{"A", "1"}}, "")).params.size() == 1);
}

TEST_CASE("a body over max_body_bytes: the request is refused with 413 once it has arrived") {
  ParserLimits limits;
  limits.max_body_bytes = 100;
  Parser exact(limits);
  CHECK(ready(exact, request(1, kParams, std::string(100, 'b'))).body.size() == 100);

  Parser parser(limits);
  CHECK(feed(parser, begin(1) + params_stream(1, kParams) + raw_record(5, 1, std::string(60, 'b')) +
                         raw_record(5, 1, std::string(41, 'b')) +
                         raw_record(5, 1, std::string(500, 'b')))
            .empty());
  const OverLimit refused = over_limit_of(parser, raw_record(5, 1, ""));
  CHECK(refused.http_status == 413);
  CHECK(refused.what == "STDIN stream larger than max_body_bytes (100 bytes)");
}

TEST_CASE("param count and length limits refuse the request with 431 and the reason") {
  ParserLimits limits;
  limits.params.max_count = 2;
  limits.params.max_name_length = 10;
  limits.params.max_value_length = 10;
  struct Case {
    Pairs pairs;
    std::string what;
  };
  const Case cases[] = {
      {{{"A", "1"}, {"B", "2"}, {"C", "3"}}, "too many params (limit 2)"},
      {{{"NAME_TOO_LONG", "1"}}, "param name longer than 10 bytes"},
      {{{"A", "value too long"}}, "param value longer than 10 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Parser parser(limits);
    const OverLimit refused = over_limit_of(parser, request(1, c.pairs, "a body, dropped"));
    CHECK(refused.what == c.what);
    CHECK(refused.http_status == 431);
  }
}

TEST_CASE("ABORT_REQUEST for a refused request still arriving ends it without OverLimit") {
  ParserLimits limits;
  limits.max_params_bytes = 8;
  Parser parser(limits);
  CHECK(feed(parser, begin(1) + params_stream(1, kParams)).empty());
  const auto events = feed(parser, raw_record(2, 1, ""));
  REQUIRE(events.size() == 1);
  CHECK_FALSE(as<Aborted>(events[0]).running);
  CHECK(feed(parser, stdin_stream(1, "")).empty());
}

TEST_CASE("a truncated name-value pair in PARAMS is a protocol error") {
  Parser parser;
  CHECK(error_of(parser, begin(1) + raw_record(4, 1, "\x80\x00\x00") + raw_record(4, 1, "") +
                             stdin_stream(1, "")) ==
        "malformed params: name-value pair runs past the end of the stream");
}

TEST_CASE("a version other than 1 is a protocol error, and the parser stays failed") {
  Parser parser;
  CHECK(error_of(parser, raw_record(1, 1, std::string(8, '\0'), 0, 2) + request(1, kParams, "")) ==
        "unsupported FastCGI version 2");
  CHECK(feed(parser, request(1, kParams, "")).empty());
  CHECK(feed(parser, raw_record(9, 0, "")).empty());
  parser.request_finished();
  CHECK(feed(parser, request(1, kParams, "")).empty());
  CHECK(parser.failed());
}

TEST_CASE("request_finished() in the middle of a STDIN record keeps its bytes out of the next") {
  Parser parser;
  const std::string head = begin(1) + params_stream(1, kParams);
  const std::string record = raw_record(5, 1, "old-data");
  CHECK(feed(parser, head + record.substr(0, 10)).empty());
  parser.request_finished();  // e.g. the connection owner gave up on this request
  check_request(ready(parser, record.substr(10) + request(2, kParams, "new")), 2, "new");
}

}  // namespace
}  // namespace zfpm::fcgi
