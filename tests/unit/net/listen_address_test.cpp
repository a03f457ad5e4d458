#include "zfpm/net/listen_address.hpp"

#include <doctest/doctest.h>

using namespace zfpm::net;

namespace {

TcpAddress tcp(std::string_view text) {
  auto parsed = parse_listen_address(text);
  REQUIRE(parsed.has_value());
  auto& address = *parsed;
  REQUIRE(std::holds_alternative<TcpAddress>(address));
  return std::get<TcpAddress>(address);
}

bool rejected(std::string_view text) { return !parse_listen_address(text).has_value(); }

}  // namespace

TEST_CASE("ip:port listens on that address") {
  auto address = tcp("127.0.0.1:9000");
  CHECK(address.host == "127.0.0.1");
  CHECK(address.port == 9000);
}

TEST_CASE("a bare port listens on every address") {
  auto address = tcp("9001");
  CHECK(address.host.empty());
  CHECK(address.port == 9001);
  CHECK(to_string(ListenAddress{address}) == "[::]:9001");
}

TEST_CASE("[ipv6]:port keeps the address without brackets") {
  auto address = tcp("[::1]:9002");
  CHECK(address.host == "::1");
  CHECK(address.port == 9002);
  CHECK(to_string(ListenAddress{address}) == "[::1]:9002");
}

TEST_CASE("*:port is every address, as in php-fpm") { CHECK(tcp("*:9003").host.empty()); }

TEST_CASE("a path is a Unix socket") {
  auto parsed = parse_listen_address("/run/php/zfpm.sock");
  REQUIRE(parsed.has_value());
  auto& address = *parsed;
  CHECK(std::get<UnixAddress>(address).path == "/run/php/zfpm.sock");
}

TEST_CASE("bad listen addresses are refused") {
  CHECK(rejected(""));
  CHECK(rejected("127.0.0.1:"));
  CHECK(rejected("127.0.0.1:65536"));
  CHECK(rejected("127.0.0.1:90x"));
  CHECK(rejected("[::1]9000"));
  CHECK(rejected("[::1"));
}

TEST_CASE("a bad port is reported in php-fpm's words") {
  auto parsed = parse_listen_address("127.0.0.1:69002");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "invalid port value '69002'");
}
