#include "zfpm/fcgi/params.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

namespace zfpm::fcgi {
namespace {

std::string encode(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) append_name_value(out, name, value);
  return out;
}

Params decode_ok(std::string raw, const ParamLimits& limits = {}) {
  std::string error;
  auto params = Params::decode(std::move(raw), limits, &error);
  INFO("error: " << error);
  REQUIRE(params.has_value());
  return std::move(*params);
}

std::string decode_error(std::string raw, const ParamLimits& limits = {}) {
  std::string error;
  auto params = Params::decode(std::move(raw), limits, &error);
  CHECK_FALSE(params.has_value());
  return error;
}

TEST_CASE("1-byte name-value lengths decode in arrival order") {
  const Params params = decode_ok(encode({{"SCRIPT_NAME", "/index.php"}, {"QUERY_STRING", ""}}));
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "SCRIPT_NAME");
  CHECK(params[0].value == "/index.php");
  CHECK(params[1].name == "QUERY_STRING");
  CHECK(params[1].value.empty());
}

TEST_CASE("4-byte name-value lengths") {
  const std::string long_name(200, 'N');
  const std::string long_value(70000, 'v');
  const Params params = decode_ok(encode({{long_name, long_value}, {"A", std::string(128, 'x')}}));
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == long_name);
  CHECK(params[0].value == long_value);
  CHECK(params[1].value == std::string(128, 'x'));
}

TEST_CASE("lengths up to 127 take one byte, 128 and above take four with the high bit set") {
  std::string out;
  append_name_value(out, std::string(127, 'a'), std::string(128, 'b'));
  REQUIRE(out.size() == 1 + 4 + 127 + 128);
  CHECK(static_cast<unsigned char>(out[0]) == 127);
  CHECK(static_cast<unsigned char>(out[1]) == 0x80);
  CHECK(static_cast<unsigned char>(out[2]) == 0x00);
  CHECK(static_cast<unsigned char>(out[3]) == 0x00);
  CHECK(static_cast<unsigned char>(out[4]) == 128);
}

TEST_CASE("a short length in 4-byte form is accepted, the marker bit is not part of it") {
  std::string raw("\x80\x00\x00\x04\x01", 5);
  raw += "HOSTx";
  const Params params = decode_ok(raw);
  REQUIRE(params.size() == 1);
  CHECK(params[0].name == "HOST");
  CHECK(params[0].value == "x");
}

TEST_CASE("empty stream decodes to no params") {
  const Params params = decode_ok("");
  CHECK(params.empty());
  CHECK_FALSE(params.find("HOST").has_value());
}

TEST_CASE("a truncated 4-byte length is an error") {
  CHECK(decode_error(std::string("\x80\x00\x01", 3)) ==
        "name-value pair runs past the end of the stream");
  CHECK(decode_error(std::string("\x01\x80\x00", 3)) ==
        "name-value pair runs past the end of the stream");
}

TEST_CASE("a missing value length is an error") {
  CHECK(decode_error(std::string("\x04", 1)) == "name-value pair runs past the end of the stream");
}

TEST_CASE("a name or value running past the end of the stream is an error") {
  CHECK(decode_error(std::string("\x05\x00HOS", 5)) ==
        "name-value pair runs past the end of the stream");
  CHECK(decode_error(std::string("\x04\x03HOSTab", 8)) ==
        "name-value pair runs past the end of the stream");
  // A valid first pair does not hide a broken second one.
  CHECK(decode_error(encode({{"A", "b"}}) + std::string{'\x01', '\x09', 'A', 'x'}) ==
        "name-value pair runs past the end of the stream");
}

TEST_CASE("an overlong 4-byte length is an error, not an overflow") {
  ParamLimits huge;
  huge.max_name_length = 0x7fffffff;
  huge.max_value_length = 0x7fffffff;
  CHECK(decode_error(std::string(8, '\xff') + "ab", huge) ==
        "name-value pair runs past the end of the stream");
  CHECK(decode_error('\x01' + std::string(4, '\xff') + "ab", huge) ==
        "name-value pair runs past the end of the stream");
}

TEST_CASE("too many params is an error naming the limit") {
  ParamLimits limits;
  limits.max_count = 3;
  const std::string three = encode({{"A", "1"}, {"B", "2"}, {"C", "3"}});
  CHECK(decode_ok(three, limits).size() == 3);
  CHECK(decode_error(three + encode({{"D", "4"}}), limits) == "too many params (limit 3)");
}

TEST_CASE("a param name over the limit is an error") {
  ParamLimits limits;
  limits.max_name_length = 8;
  CHECK(decode_ok(encode({{"12345678", ""}}), limits).size() == 1);
  CHECK(decode_error(encode({{"123456789", ""}}), limits) == "param name longer than 8 bytes");
  CHECK(decode_error(encode({{std::string(4097, 'n'), ""}})) ==
        "param name longer than 4096 bytes");
}

TEST_CASE("a param value over the limit is an error") {
  ParamLimits limits;
  limits.max_value_length = 4;
  CHECK(decode_ok(encode({{"A", "1234"}}), limits).size() == 1);
  CHECK(decode_error(encode({{"A", "12345"}}), limits) == "param value longer than 4 bytes");
}

TEST_CASE("the error pointer may be null") {
  CHECK_FALSE(Params::decode(std::string("\x05", 1), {}, nullptr).has_value());
}

TEST_CASE("find returns the last pair with that name") {
  const Params params = decode_ok(encode({{"HTTP_HOST", "a"}, {"X", "1"}, {"HTTP_HOST", "b"}}));
  CHECK(params.find("HTTP_HOST") == std::optional<std::string_view>("b"));
  CHECK(params.find("X") == std::optional<std::string_view>("1"));
  CHECK_FALSE(params.find("HTTP").has_value());
  CHECK_FALSE(params.find("http_host").has_value());
}

TEST_CASE("an empty value is present, not absent") {
  const Params params = decode_ok(encode({{"QUERY_STRING", ""}}));
  const auto value = params.find("QUERY_STRING");
  REQUIRE(value.has_value());
  CHECK(value->empty());
}

TEST_CASE("add appends the newest pair, which then wins in find") {
  Params params = decode_ok(encode({{"SCRIPT_FILENAME", "/old"}}));
  params.add("SCRIPT_FILENAME", "/var/www/index.php");
  params.add("PATH_INFO", "");
  REQUIRE(params.size() == 3);
  CHECK(params[1].name == "SCRIPT_FILENAME");
  CHECK(params[1].value == "/var/www/index.php");
  CHECK(params[0].value == "/old");
  CHECK(params.find("SCRIPT_FILENAME") == std::optional<std::string_view>("/var/www/index.php"));
  CHECK(params.find("PATH_INFO") == std::optional<std::string_view>(""));
}

TEST_CASE("add works on default-constructed params") {
  Params params;
  params.add("A", "1");
  REQUIRE(params.size() == 1);
  CHECK(params[0].name == "A");
  CHECK(params[0].value == "1");
}

TEST_CASE("params stay valid after being moved and after add grows the buffer") {
  Params params = decode_ok(encode({{"REQUEST_METHOD", "GET"}}));
  Params moved = std::move(params);
  for (int i = 0; i < 100; ++i) moved.add("N" + std::to_string(i), std::string(100, 'v'));
  CHECK(moved.find("REQUEST_METHOD") == std::optional<std::string_view>("GET"));
  CHECK(moved[0].name == "REQUEST_METHOD");
  CHECK(moved[100].name == "N99");
  Params copy = moved;
  moved.add("REQUEST_METHOD", "POST");
  CHECK(copy.find("REQUEST_METHOD") == std::optional<std::string_view>("GET"));
  CHECK(moved.find("REQUEST_METHOD") == std::optional<std::string_view>("POST"));
}

TEST_CASE("every name and value is NUL-terminated, so PHP can borrow it as a C string") {
  Params params = decode_ok(encode({{"A", ""}, {std::string(200, 'N'), std::string(300, 'v')}}));
  params.add("SCRIPT_FILENAME", "/srv/x.php");
  const Params moved = std::move(params);
  REQUIRE(moved.size() == 3);
  for (std::size_t i = 0; i < moved.size(); ++i) {
    CAPTURE(i);
    CHECK(moved[i].name.data()[moved[i].name.size()] == '\0');
    CHECK(moved[i].value.data()[moved[i].value.size()] == '\0');
  }
  CHECK(std::string_view(moved[2].value.data()) == "/srv/x.php");
}

TEST_CASE("names and values may hold any byte, including NUL") {
  const std::string name("A\0B", 3);
  const std::string value("\0\xff", 2);
  const Params params = decode_ok(encode({{name, value}}));
  REQUIRE(params.size() == 1);
  CHECK(params[0].name == name);
  CHECK(params[0].value == value);
}

}  // namespace
}  // namespace zfpm::fcgi
