// OutputSink: PHP's writes become as few STDOUT/STDERR records as the protocol allows, never an
// empty one (which would end the stream), each padded to 8 bytes.
#include "zfpm/fcgi/output_sink.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace zfpm::fcgi;

namespace {

class Capture final : public ResponseChannel {
 public:
  using ResponseChannel::send;
  bool send(std::span<const std::string_view> pieces) override {
    for (auto piece : pieces) bytes += piece;
    ++sends;
    return true;
  }
  void finish(std::string_view records, bool) override {
    bytes += records;
    finished = true;
  }
  bool aborted() const override { return false; }
  std::string bytes;
  int sends = 0;
  bool finished = false;
};

struct Record {
  int type;
  std::string content;
};

std::vector<Record> records_of(const std::string& bytes) {
  std::vector<Record> out;
  std::size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
    const std::size_t length = (b(4) << 8) | b(5);
    const std::size_t padding = b(6);
    CHECK((8 + length + padding) % 8 == 0);
    out.push_back({b(1), bytes.substr(at + 8, length)});
    at += 8 + length + padding;
  }
  CHECK(at == bytes.size());
  return out;
}

}  // namespace

TEST_CASE("consecutive writes share one STDOUT record, a write of 0 included") {
  auto channel = std::make_shared<Capture>();
  OutputSink sink;
  sink.begin(channel, 1, false);
  for (std::string_view part : {"Foo", "", "0", "\n", "bar"}) CHECK(sink.write_stdout(part));
  sink.end(0);
  auto records = records_of(channel->bytes);
  REQUIRE(records.size() == 2);
  CHECK(records[0].type == 6);  // FCGI_STDOUT
  CHECK(records[0].content == "Foo0\nbar");
  CHECK(records[1].type == 3);  // FCGI_END_REQUEST
}

TEST_CASE("a STDERR write between STDOUT writes starts new records, in order") {
  auto channel = std::make_shared<Capture>();
  OutputSink sink;
  sink.begin(channel, 1, false);
  sink.write_stdout("a");
  sink.write_stderr("oops");
  sink.write_stderr("!");
  sink.write_stdout("b");
  sink.end(0);
  auto records = records_of(channel->bytes);
  REQUIRE(records.size() == 4);
  CHECK(records[0].content == "a");
  CHECK(records[1].type == 7);
  CHECK(records[1].content == "oops!");
  CHECK(records[2].content == "b");
}

TEST_CASE("big writes fill records up to 65528 bytes and the stream arrives whole") {
  auto channel = std::make_shared<Capture>();
  OutputSink sink;
  sink.begin(channel, 1, false);
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    std::string piece(997 + i * 3, static_cast<char>('a' + i % 26));
    expected += piece;
    CHECK(sink.write_stdout(piece));
  }
  sink.end(0);
  std::string stdout_bytes;
  for (const auto& record : records_of(channel->bytes)) {
    if (record.type != 6) continue;
    CHECK_FALSE(record.content.empty());
    CHECK(record.content.size() <= 65528);
    stdout_bytes += record.content;
  }
  CHECK(stdout_bytes == expected);
}

TEST_CASE("a write of 32 KiB or more goes out at once as whole records, after what was buffered") {
  auto channel = std::make_shared<Capture>();
  OutputSink sink;
  sink.begin(channel, 1, false);
  std::string big(200000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i * 7 % 26);
  CHECK(sink.write_stdout("head "));
  CHECK(channel->sends == 0);  // small writes stay buffered
  CHECK(sink.write_stdout(big));
  CHECK(channel->sends == 1);  // the buffered bytes and the big write, in one send
  CHECK(sink.write_stderr("note"));
  CHECK(sink.write_stdout(" tail"));
  sink.end(0);
  const auto records = records_of(channel->bytes);
  // "head ", then 200000 bytes as 65528 + 65528 + 65528 + 3416, then STDERR, STDOUT, END.
  REQUIRE(records.size() == 8);
  CHECK(records[0].content == "head ");
  std::string middle;
  for (int i = 1; i <= 4; ++i) {
    CHECK(records[i].type == 6);
    middle += records[i].content;
  }
  CHECK(records[1].content.size() == 65528);
  CHECK(records[4].content.size() == 3416);
  CHECK(middle == big);
  CHECK(records[5].type == 7);
  CHECK(records[5].content == "note");
  CHECK(records[6].content == " tail");
  CHECK(records[7].type == 3);  // END_REQUEST
}
