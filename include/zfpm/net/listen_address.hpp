#pragma once
// php-fpm's `listen` forms: "ip:port", "[ipv6]:port", "port" (all addresses) and "/path.sock".
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "zfpm/expected.hpp"

namespace zfpm::net {

struct TcpAddress {
  std::string host;  // empty: every address (dual-stack "::", else 0.0.0.0)
  std::uint16_t port = 0;
};

struct UnixAddress {
  std::string path;
};

using ListenAddress = std::variant<TcpAddress, UnixAddress>;

struct AddressError {
  std::string message;
};

Expected<ListenAddress, AddressError> parse_listen_address(std::string_view text);

std::string to_string(const ListenAddress& address);

}  // namespace zfpm::net
