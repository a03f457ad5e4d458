#include "zfpm/net/allowed_clients.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace zfpm::net {

AllowedClients AllowedClients::parse(std::string_view list, std::vector<std::string>* errors) {
  AllowedClients allowed;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string entry(
        list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, entry.c_str(), &v4) == 1) {
      allowed.v4_.push_back(v4);
    } else if (inet_pton(AF_INET6, entry.c_str(), &v6) == 1) {
      allowed.v6_.push_back(v6);
    } else if (errors) {
      errors->push_back("Wrong IP address '" + entry + "' in listen.allowed_clients");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (allowed.v4_.empty() && allowed.v6_.empty() && errors) {
    errors->push_back("There are no allowed addresses");
  }
  return allowed;
}

bool AllowedClients::allows(const sockaddr_storage& peer) const {
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    for (const auto& a : v4_) {
      if (std::memcmp(&a, &in.sin_addr, sizeof a) == 0) return true;
    }
    return false;
  }
  if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    for (const auto& a : v6_) {
      if (std::memcmp(&a, &in6.sin6_addr, sizeof a) == 0) return true;
    }
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      for (const auto& a : v4_) {
        if (std::memcmp(&a, in6.sin6_addr.s6_addr + 12, sizeof a) == 0) return true;
      }
    }
    return false;
  }
  return true;  // Unix sockets: php-fpm applies the list to TCP only
}

std::string client_ip(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text, sizeof text);
  } else if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      inet_ntop(AF_INET, in6.sin6_addr.s6_addr + 12, text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    }
  }
  return text;
}

}  // namespace zfpm::net
