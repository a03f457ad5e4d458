#include "listen_socket.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "zfpm/unique_fd.hpp"

namespace zfpm::net {
namespace {

// zlog's ZLOG_SYSERROR suffix: ": Address already in use (98)".
std::string errno_text(const std::string& what) {
  const int error = errno;
  return what + ": " + std::strerror(error) + " (" + std::to_string(error) + ")";
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// fpm_unix.c: fpm_unix_resolve_socket_permissions. A user name also gives its primary group
// unless listen.group says otherwise; numbers are taken as ids.
bool resolve_owner(const ListenSettings& settings, uid_t& uid, gid_t& gid, std::string* error) {
  uid = static_cast<uid_t>(-1);
  gid = static_cast<gid_t>(-1);
  if (!settings.owner.empty()) {
    if (all_digits(settings.owner)) {
      uid = static_cast<uid_t>(std::strtoul(settings.owner.c_str(), nullptr, 10));
    } else if (const passwd* pw = ::getpwnam(settings.owner.c_str())) {
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    } else {
      *error = "cannot get uid for user '" + settings.owner + "'";
      return false;
    }
  }
  if (!settings.group.empty()) {
    if (all_digits(settings.group)) {
      gid = static_cast<gid_t>(std::strtoul(settings.group.c_str(), nullptr, 10));
    } else if (const group* gr = ::getgrnam(settings.group.c_str())) {
      gid = gr->gr_gid;
    } else {
      *error = "cannot get gid for group '" + settings.group + "'";
      return false;
    }
  }
  return true;
}

// fpm_sockets.c: fpm_socket_unix_test_connect. Something answering means another server owns
// the path; a socket file nobody answers on is left over from a crash and may go.
bool socket_is_live(const sockaddr_un& addr) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

int open_tcp_socket(const TcpAddress& tcp, const ListenSettings& settings, int& family,
                    std::string* error) {
  sockaddr_storage addr{};
  socklen_t length = 0;
  const bool any = tcp.host.empty();
  auto fill_v4 = [&](in_addr ip) {
    auto& in = reinterpret_cast<sockaddr_in&>(addr);
    in.sin_family = AF_INET;
    in.sin_port = htons(tcp.port);
    in.sin_addr = ip;
    length = sizeof in;
    family = AF_INET;
  };
  auto fill_v6 = [&](in6_addr ip) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(addr);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(tcp.port);
    in6.sin6_addr = ip;
    length = sizeof in6;
    family = AF_INET6;
  };
  in_addr ip4{};
  in6_addr ip6{};
  if (any) {
    fill_v6(in6addr_any);
  } else if (inet_pton(AF_INET, tcp.host.c_str(), &ip4) == 1) {
    fill_v4(ip4);
  } else if (inet_pton(AF_INET6, tcp.host.c_str(), &ip6) == 1) {
    fill_v6(ip6);
  } else {
    *error = "listen host '" + tcp.host + "' is not an IP address";
    return -1;
  }
  // socket, options, bind, listen; -1 with errno set (and nothing left open) on failure.
  auto open_bound = [&]() {
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return -1;
    int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (family == AF_INET6 && any) {
      int off = 0;  // dual-stack: IPv4 clients arrive as IPv4-mapped addresses
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), length) < 0 ||
        ::listen(fd.get(), settings.backlog) < 0) {
      const int saved = errno;
      fd.reset();
      errno = saved;
      return -1;
    }
    return fd.release();
  };
  int fd = open_bound();
  if (fd < 0 && any) {
    // As fpm_sockets.c: "::" first, silently; when that fails for any reason (no IPv6, the port
    // taken on ::), this notice and 0.0.0.0 (socket-ipv4-fallback.phpt).
    spdlog::info("Failed implicitly binding to ::, retrying with 0.0.0.0");
    fill_v4(in_addr{htonl(INADDR_ANY)});
    fd = open_bound();
  }
  if (fd < 0) {
    // php-fpm names the address as configured: a bare port for every address.
    *error = errno_text("unable to bind listening socket for address '" +
                        (any ? std::to_string(tcp.port) : to_string(ListenAddress{tcp})) + "'");
    return -1;
  }
  return fd;
}

int open_unix_socket(const UnixAddress& address, const ListenSettings& settings,
                     std::string* error) {
  sockaddr_un addr{};
  if (address.path.size() >= sizeof addr.sun_path) {
    *error = "socket path '" + address.path + "' is too long";
    return -1;
  }
  uid_t uid;
  gid_t gid;
  if (!resolve_owner(settings, uid, gid, error)) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.path.c_str(), address.path.size() + 1);
  struct stat st {};
  if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    if (socket_is_live(addr)) {
      *error = "An another FPM instance seems to already listen on " + address.path;
      return -1;
    }
    ::unlink(address.path.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    *error = errno_text("failed to create new listening socket: socket()");
    return -1;
  }
  // The file gets listen.mode from its creation on, as php-fpm does it: there is no moment in
  // which it is more open than configured. umask is process-wide, but this runs before any
  // other thread exists.
  const mode_t saved = ::umask(0777 & ~static_cast<mode_t>(settings.mode));
  const bool bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::umask(saved);
  if (!bound || ::listen(fd.get(), settings.backlog) < 0) {
    *error = errno_text("unable to bind listening socket for address '" + address.path + "'");
    return -1;
  }
  // umask can only take bits away; chmod gives the exact mode (e.g. setgid bits, or 0666).
  if (::chmod(address.path.c_str(), static_cast<mode_t>(settings.mode)) < 0 ||
      ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) &&
       ::chown(address.path.c_str(), uid, gid) < 0)) {
    *error = errno_text("failed to chown() the socket '" + address.path + "'");
    fd.reset();
    ::unlink(address.path.c_str());
    return -1;
  }
  return fd.release();
}

std::string peer_name(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  return "unix socket";
}

}  // namespace zfpm::net
