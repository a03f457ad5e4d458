// listen.allowed_clients as php-fpm reads and applies it (main/fastcgi.c).
#include "zfpm/net/allowed_clients.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

using zfpm::net::AllowedClients;

namespace {

sockaddr_storage v4(const char* ip) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in&>(s);
  in.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, ip, &in.sin_addr) == 1);
  return s;
}

sockaddr_storage v6(const char* ip) {
  sockaddr_storage s{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(s);
  in6.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1);
  return s;
}

}  // namespace

TEST_CASE("only the listed IPv4 and IPv6 addresses are allowed") {
  std::vector<std::string> errors;
  auto allowed = AllowedClients::parse("127.0.0.2,10.0.0.1,::1", &errors);
  CHECK(errors.empty());
  CHECK(allowed.allows(v4("127.0.0.2")));
  CHECK(allowed.allows(v4("10.0.0.1")));
  CHECK_FALSE(allowed.allows(v4("127.0.0.1")));
  CHECK(allowed.allows(v6("::1")));
  CHECK_FALSE(allowed.allows(v6("::2")));
}

TEST_CASE("an IPv4 client on a dual-stack socket matches its IPv4 entry") {
  auto allowed = AllowedClients::parse("127.0.0.1", nullptr);
  CHECK(allowed.allows(v6("::ffff:127.0.0.1")));
  CHECK_FALSE(allowed.allows(v6("::ffff:127.0.0.2")));
  CHECK(zfpm::net::client_ip(v6("::ffff:127.0.0.1")) == "127.0.0.1");
  CHECK(zfpm::net::client_ip(v6("2001:db8::5")) == "2001:db8::5");
}

TEST_CASE("IPv6 entries compare all 16 bytes, not php-fpm's first 12") {
  auto allowed = AllowedClients::parse("2001:db8::1", nullptr);
  CHECK_FALSE(allowed.allows(v6("2001:db8::2")));
}

TEST_CASE("bad entries are reported in php-fpm's words and skipped, none left means nobody") {
  std::vector<std::string> errors;
  auto allowed = AllowedClients::parse("127.0.0.1, 127.0.0.2,localhost", &errors);
  CHECK(errors ==
        std::vector<std::string>{"Wrong IP address ' 127.0.0.2' in listen.allowed_clients",
                                 "Wrong IP address 'localhost' in listen.allowed_clients"});
  CHECK(allowed.allows(v4("127.0.0.1")));
  CHECK_FALSE(allowed.allows(v4("127.0.0.2")));

  errors.clear();
  auto nobody = AllowedClients::parse("", &errors);
  CHECK(errors == std::vector<std::string>{"Wrong IP address '' in listen.allowed_clients",
                                           "There are no allowed addresses"});
  CHECK_FALSE(nobody.allows(v4("127.0.0.1")));
}

TEST_CASE("Unix-socket clients are always allowed") {
  auto nobody = AllowedClients::parse("", nullptr);
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  CHECK(nobody.allows(unix_peer));
}
