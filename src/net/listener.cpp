#include "zfpm/net/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zfpm::net {
namespace {

std::string errno_text(const std::string& what) {
  return what + " (" + std::to_string(errno) + ": " + std::strerror(errno) + ")";
}

std::string peer_name(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    std::string name(text);
    name += ':';
    name += std::to_string(ntohs(in.sin_port));
    return name;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    std::string name = "[";
    name += text;
    name += "]:";
    name += std::to_string(ntohs(in6.sin6_port));
    return name;
  }
  return "unix socket";
}

int open_tcp(const TcpAddress& tcp, int backlog, int& family, std::string* error) {
  sockaddr_storage addr{};
  socklen_t length = 0;
  bool any = tcp.host.empty();
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
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 && any) {
    // No IPv6 here: php-fpm falls back to IPv4 with this notice (fpm_sockets.c).
    spdlog::info("Failed implicitly binding to ::, retrying with 0.0.0.0");
    fill_v4(in_addr{htonl(INADDR_ANY)});
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  }
  if (fd < 0) {
    *error = errno_text("failed to create new listening socket: socket()");
    return -1;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (family == AF_INET6 && any) {
    int off = 0;  // dual-stack: IPv4 clients arrive as IPv4-mapped addresses
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), length) < 0 || ::listen(fd, backlog) < 0) {
    *error = errno_text("unable to bind listening socket for address '" +
                        to_string(ListenAddress{tcp}) + "'");
    ::close(fd);
    return -1;
  }
  return fd;
}

int open_unix(const UnixAddress& address, int backlog, std::string* error) {
  sockaddr_un addr{};
  if (address.path.size() >= sizeof addr.sun_path) {
    *error = "socket path '" + address.path + "' is too long";
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.path.c_str(), address.path.size() + 1);
  // A stale socket from an earlier run is replaced; any other file is left alone.
  struct stat st {};
  if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    ::unlink(address.path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = errno_text("failed to create new listening socket: socket()");
    return -1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(fd, backlog) < 0) {
    *error = errno_text("unable to bind listening socket for address '" + address.path + "'");
    ::close(fd);
    return -1;
  }
  // php-fpm's default listen.mode.
  ::chmod(address.path.c_str(), 0660);
  return fd;
}

}  // namespace

std::unique_ptr<Listener> Listener::open(asio::io_context& io, const ListenAddress& address,
                                         int backlog, std::string* error) {
  int family = AF_UNIX;
  std::string unix_path;
  int fd;
  if (auto* unix_address = std::get_if<UnixAddress>(&address)) {
    fd = open_unix(*unix_address, backlog, error);
    unix_path = unix_address->path;
  } else {
    fd = open_tcp(std::get<TcpAddress>(address), backlog, family, error);
  }
  if (fd < 0) return nullptr;
  return std::unique_ptr<Listener>(
      new Listener(io, fd, family, to_string(address), std::move(unix_path)));
}

Listener::Listener(asio::io_context& io, int fd, int family, std::string name,
                   std::string unix_path)
    : acceptor_(io),
      protocol_(family, family == AF_UNIX ? 0 : IPPROTO_TCP),
      name_(std::move(name)),
      unix_path_(std::move(unix_path)) {
  acceptor_.assign(protocol_, fd);
}

void Listener::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  wait();
}

void Listener::wait() {
  acceptor_.async_wait(asio::socket_base::wait_read, [this](const asio::error_code& ec) {
    if (ec) return;  // closed
    accept_ready();
    wait();
  });
}

void Listener::accept_ready() {
  // Drain what the backlog holds now; accept4 sets the flags atomically.
  for (int burst = 0; burst < 64; ++burst) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(acceptor_.native_handle(), reinterpret_cast<sockaddr*>(&peer), &length,
                       SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      if (errno == ECONNABORTED) continue;
      spdlog::error("failed to accept a connection on {}: {}", name_, std::strerror(errno));
      return;
    }
    on_accept_(fd, protocol_, peer_name(peer));
  }
}

void Listener::close() {
  asio::error_code ec;
  acceptor_.close(ec);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

}  // namespace zfpm::net
