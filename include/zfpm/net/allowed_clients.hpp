#pragma once
// listen.allowed_clients with php-fpm's semantics (main/fastcgi.c: fcgi_set_allowed_clients,
// fcgi_is_allowed): a comma-separated list of IPv4 and IPv6 addresses, taken exactly as written
// (no spaces trimmed, no names, no networks); a bad entry is reported and skipped, and a list
// with no good entry lets nobody in. Unix-socket clients are always allowed. An IPv4 client on a
// dual-stack socket arrives IPv4-mapped (::ffff:a.b.c.d) and matches its IPv4 entry.
// One deliberate difference: php-fpm compares only the first 12 bytes of an IPv6 address (any
// address in the same /96 is let in); zfpm compares all 16.
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

namespace zfpm::net {

class AllowedClients {
 public:
  // `errors` receives php-fpm's messages: "Wrong IP address '%s' in listen.allowed_clients",
  // "There are no allowed addresses".
  static AllowedClients parse(std::string_view list, std::vector<std::string>* errors);

  bool allows(const sockaddr_storage& peer) const;

 private:
  std::vector<in_addr> v4_;
  std::vector<in6_addr> v6_;
};

// The client's IP as php-fpm logs it (fcgi_get_last_client_ip): IPv4-mapped addresses as IPv4.
std::string client_ip(const sockaddr_storage& peer);

}  // namespace zfpm::net
