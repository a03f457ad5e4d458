// fcgi::Body: in memory below its threshold, all of it in a spool past it; and the parser's body
// limits with a spool attached.
#include "zfpm/fcgi/body.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "zfpm/fcgi/encoder.hpp"
#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/parser.hpp"

using namespace zfpm::fcgi;

namespace {

// A spool in a string, counting what it was asked to do.
struct FakeSpool final : BodySpool {
  std::string* data;
  bool fail_writes = false;
  explicit FakeSpool(std::string* d) : data(d) {}
  bool append(std::span<const char> bytes, std::string* error) override {
    if (fail_writes) {
      *error = "disk full";
      return false;
    }
    data->append(bytes.data(), bytes.size());
    return true;
  }
  std::size_t read(std::uint64_t offset, std::span<char> out) const override {
    if (offset >= data->size()) return 0;
    std::size_t n = std::min(out.size(), data->size() - static_cast<std::size_t>(offset));
    data->copy(out.data(), n, static_cast<std::size_t>(offset));
    return n;
  }
};

struct SpoolLog {
  std::vector<std::unique_ptr<std::string>> files;
  bool refuse = false;
  SpoolFactory factory() {
    return [this](std::string* error) -> std::unique_ptr<BodySpool> {
      if (refuse) {
        *error = "no temp dir";
        return nullptr;
      }
      files.push_back(std::make_unique<std::string>());
      return std::make_unique<FakeSpool>(files.back().get());
    };
  }
};

std::span<const char> bytes(const std::string& s) { return {s.data(), s.size()}; }

std::string read_all(const Body& body, std::size_t chunk) {
  std::string out;
  std::vector<char> buffer(chunk);
  while (true) {
    std::size_t n = body.read(out.size(), buffer);
    if (n == 0) break;
    out.append(buffer.data(), n);
  }
  return out;
}

std::string request_bytes(std::string_view body, std::string_view content_length = {}) {
  std::string out;
  append_begin_request(out, 1, Role::Responder, false);
  std::string pairs;
  append_name_value(pairs, "REQUEST_METHOD", "POST");
  if (!content_length.empty()) append_name_value(pairs, "CONTENT_LENGTH", content_length);
  append_stream(out, RecordType::Params, 1, pairs);
  append_stream_end(out, RecordType::Params, 1);
  append_stream(out, RecordType::Stdin, 1, body);
  append_stream_end(out, RecordType::Stdin, 1);
  return out;
}

}  // namespace

TEST_CASE("a body up to its memory limit stays in memory and reads back in any chunk size") {
  SpoolLog log;
  BodyStorage storage{.memory_limit = 10, .spool_factory = log.factory()};
  Body body;
  std::string error;
  REQUIRE(body.append(bytes("hello "), storage, &error));
  REQUIRE(body.append(bytes("worl"), storage, &error));
  CHECK_FALSE(body.spooled());
  CHECK(log.files.empty());
  CHECK(body.size() == 10);
  CHECK(read_all(body, 3) == "hello worl");
  CHECK(body == "hello worl");
}

TEST_CASE("one byte past the memory limit moves the whole body to one spool") {
  SpoolLog log;
  BodyStorage storage{.memory_limit = 10, .spool_factory = log.factory()};
  Body body;
  std::string error;
  REQUIRE(body.append(bytes("0123456789"), storage, &error));
  REQUIRE(body.append(bytes("A"), storage, &error));
  REQUIRE(body.append(bytes("BC"), storage, &error));
  CHECK(body.spooled());
  REQUIRE(log.files.size() == 1);
  CHECK(*log.files[0] == "0123456789ABC");
  CHECK(body.size() == 13);
  CHECK(read_all(body, 4) == "0123456789ABC");
  std::vector<char> past_end(4);
  CHECK(body.read(13, past_end) == 0);
}

TEST_CASE("without a spool factory a body stays in memory whatever its size") {
  Body body;
  std::string error;
  REQUIRE(body.append(bytes(std::string(1000, 'x')),
                      BodyStorage{.memory_limit = 10, .spool_factory = {}}, &error));
  CHECK_FALSE(body.spooled());
  CHECK(body.size() == 1000);
}

TEST_CASE("a spool that cannot be made or written fails the append with the reason") {
  SpoolLog log;
  log.refuse = true;
  BodyStorage storage{.memory_limit = 4, .spool_factory = log.factory()};
  Body body;
  std::string error;
  CHECK_FALSE(body.append(bytes("too long"), storage, &error));
  CHECK(error == "no temp dir");
}

TEST_CASE("the parser spools a large body through its factory and hands it over whole") {
  SpoolLog log;
  ParserLimits limits;
  limits.body_memory_bytes = 1000;
  Parser parser(limits, log.factory());
  std::string body(200000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  const std::string wire = request_bytes(body);
  std::vector<Event> events;
  // Fed in odd-sized pieces, as a socket would deliver it.
  for (std::size_t pos = 0; pos < wire.size(); pos += 7777) {
    parser.feed(
        std::span<const char>(wire).subspan(pos, std::min<std::size_t>(7777, wire.size() - pos)),
        events);
  }
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<RequestReady>(events[0]));
  const Body& got = std::get<RequestReady>(events[0]).request.body;
  CHECK(got.spooled());
  CHECK(log.files.size() == 1);
  CHECK(got.size() == body.size());
  CHECK(read_all(got, 65536) == body);
}

TEST_CASE("whatever CONTENT_LENGTH announces, the body is what STDIN brought") {
  SpoolLog log;
  ParserLimits limits;
  limits.body_memory_bytes = 1000;
  const std::string body(600, 'x');
  // Exact, short, long, past the memory limit, absurd, not a number: only the room set aside
  // differs (within the memory limit), never the body or where it is kept.
  for (const char* announced : {"600", "10", "999", "5000", "18446744073709551615", "-1", "abc"}) {
    CAPTURE(announced);
    Parser parser(limits, log.factory());
    std::vector<Event> events;
    parser.feed(request_bytes(body, announced), events);
    REQUIRE(events.size() == 1);
    REQUIRE(std::holds_alternative<RequestReady>(events[0]));
    const Body& got = std::get<RequestReady>(events[0]).request.body;
    CHECK_FALSE(got.spooled());
    CHECK(got == body);
    CHECK(got.in_memory() == std::optional<std::string_view>(body));
  }
  CHECK(log.files.empty());
}

TEST_CASE("a body that cannot be spooled is a storage error, not the client's fault") {
  SpoolLog log;
  log.refuse = true;
  ParserLimits limits;
  limits.body_memory_bytes = 10;
  Parser parser(limits, log.factory());
  std::vector<Event> events;
  const std::string wire = request_bytes(std::string(100, 'b'));
  parser.feed(wire, events);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<ProtocolError>(events[0]));
  CHECK(std::get<ProtocolError>(events[0]).kind == ProtocolError::Kind::Storage);
  CHECK(std::get<ProtocolError>(events[0]).what == "no temp dir");
  CHECK(parser.failed());
}

TEST_CASE("a body over max_body_bytes is refused even when spooling") {
  SpoolLog log;
  ParserLimits limits;
  limits.body_memory_bytes = 10;
  limits.max_body_bytes = 100;
  Parser parser(limits, log.factory());
  std::vector<Event> events;
  const std::string wire = request_bytes(std::string(101, 'b'));
  parser.feed(wire, events);
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<OverLimit>(events[0]));
  CHECK(std::get<OverLimit>(events[0]).http_status == 413);
}
