#include "zfpm/net/listen_address.hpp"

#include <charconv>

namespace zfpm::net {
namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

Expected<ListenAddress, AddressError> parse_listen_address(std::string_view text) {
  if (text.empty()) return Unexpected(AddressError{"empty listen address"});
  if (text.front() == '/') return ListenAddress{UnixAddress{std::string(text)}};
  TcpAddress tcp;
  std::string_view port_text = text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Unexpected(AddressError{"bad IPv6 listen address '" + std::string(text) + "'"});
    }
    tcp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    tcp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    // php-fpm takes "*:port" as every address.
    if (tcp.host == "*") tcp.host.clear();
  }
  if (!parse_port(port_text, tcp.port)) {
    // fpm_sockets.c's words, naming the port alone (log-invalid-port.phpt).
    return Unexpected(AddressError{"invalid port value '" + std::string(port_text) + "'"});
  }
  return ListenAddress{std::move(tcp)};
}

std::string to_string(const ListenAddress& address) {
  if (auto* unix_address = std::get_if<UnixAddress>(&address)) return unix_address->path;
  const auto& tcp = std::get<TcpAddress>(address);
  std::string host = tcp.host.empty() ? std::string("[::]")
                     : tcp.host.find(':') != std::string::npos ? "[" + tcp.host + "]"
                                                               : tcp.host;
  return host + ":" + std::to_string(tcp.port);
}

}  // namespace zfpm::net
