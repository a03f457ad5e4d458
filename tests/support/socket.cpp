#include "socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

namespace zfpm::test {

namespace {

// Writes to a socket the peer closed must surface as EPIPE, not kill the test runner.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

int parse_port(std::string_view text, std::string_view whole) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port <= 0 || port > 65535) {
    throw TestError("bad port in address '" + std::string(whole) + "'");
  }
  return port;
}

std::string errno_text(int err) { return std::string(std::strerror(err)); }

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Address Address::parse(std::string_view text) {
  (void)sigpipe_ignored;
  Address a;
  if (text.empty()) throw TestError("empty address");
  if (text.front() == '/') {
    a.kind = Kind::unix_path;
    a.path = std::string(text);
    return a;
  }
  if (text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos)
      throw TestError("bad IPv6 address '" + std::string(text) + "'");
    a.kind = Kind::tcp6;
    a.host = std::string(text.substr(1, close - 1));
    a.port = parse_port(text.substr(close + 2), text);
    return a;
  }
  auto colon = text.rfind(':');
  a.kind = Kind::tcp4;
  if (colon == std::string_view::npos) {
    a.host = "127.0.0.1";
    a.port = parse_port(text, text);
  } else {
    a.host = std::string(text.substr(0, colon));
    a.port = parse_port(text.substr(colon + 1), text);
  }
  return a;
}

std::string Address::to_string() const {
  switch (kind) {
    case Kind::unix_path:
      return path;
    case Kind::tcp6:
      return "[" + host + "]:" + std::to_string(port);
    case Kind::tcp4:
      break;
  }
  return host + ":" + std::to_string(port);
}

std::optional<Fd> try_connect(const Address& address, int* errno_out) {
  (void)sigpipe_ignored;
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (address.kind == Address::Kind::unix_path) {
    family = AF_UNIX;
    auto* sun = reinterpret_cast<sockaddr_un*>(&storage);
    sun->sun_family = AF_UNIX;
    if (address.path.size() >= sizeof(sun->sun_path))
      throw TestError("unix path too long: " + address.path);
    std::memcpy(sun->sun_path, address.path.c_str(), address.path.size() + 1);
    length = sizeof(sockaddr_un);
  } else if (address.kind == Address::Kind::tcp6) {
    family = AF_INET6;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(address.port));
    if (inet_pton(AF_INET6, address.host.c_str(), &sin6->sin6_addr) != 1) {
      throw TestError("not a numeric IPv6 host: " + address.host);
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(address.port));
    if (inet_pton(AF_INET, address.host.c_str(), &sin->sin_addr) != 1) {
      throw TestError("not a numeric IPv4 host: " + address.host);
    }
    length = sizeof(sockaddr_in);
  }
  Fd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw TestError("socket(): " + errno_text(errno));
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno_out) *errno_out = errno;
    return std::nullopt;
  }
  return fd;
}

Fd connect_to(const Address& address) {
  int err = 0;
  auto fd = try_connect(address, &err);
  if (!fd) throw TestError("connect to " + address.to_string() + ": " + errno_text(err));
  return std::move(*fd);
}

void set_io_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    throw TestError("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO): " + errno_text(errno));
  }
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        throw TestError("send timed out with " + std::to_string(bytes.size()) + " bytes unsent");
      }
      throw TestError("send: " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string recv_until_close(int fd, std::string_view what) {
  std::string received;
  char buffer[65536];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return received;
    } else if (errno != EINTR) {
      throw TestError(std::string(what) + ": " + std::strerror(errno) + " after " +
                      std::to_string(received.size()) + " bytes");
    }
  }
}

int local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  if (storage.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

int free_tcp_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw TestError("socket(): " + errno_text(errno));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = 0;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    throw TestError("bind 127.0.0.1:0: " + errno_text(errno));
  }
  return local_port(fd.get());
}

bool ipv6_loopback_available() {
  Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) == 0;
}

}  // namespace zfpm::test
