#include "zfpm/net/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "listen_socket.hpp"
#include "zfpm/obs/listen_queue.hpp"

namespace zfpm::net {
namespace {

// How many connections one readiness event may take before others get the I/O thread.
constexpr int kAcceptBurst = 64;
// Out of descriptors: accept fails at once for every waiting client, and the socket stays
// readable; waiting a moment keeps that from spinning the I/O thread.
constexpr auto kRetryAfterFdExhaustion = std::chrono::milliseconds(100);

}  // namespace

int accept_client(int listen_fd, sockaddr_storage& peer) {
  socklen_t length = sizeof peer;
  // accept4 sets the flags atomically.
  int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0 && (peer.ss_family == AF_INET || peer.ss_family == AF_INET6)) {
    // A response ends with a small END_REQUEST record; with Nagle on, it waits for the web
    // server's delayed ACK (~40 ms) on every keep-alive request over TCP.
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return fd;
}

std::unique_ptr<Listener> Listener::open(asio::io_context& io, const ListenAddress& address,
                                         const ListenSettings& settings, std::string* error) {
  int family = AF_UNIX;
  std::string unix_path;
  int fd;
  if (auto* unix_address = std::get_if<UnixAddress>(&address)) {
    fd = open_unix_socket(*unix_address, settings, error);
    unix_path = unix_address->path;
  } else {
    fd = open_tcp_socket(std::get<TcpAddress>(address), settings, family, error);
  }
  if (fd < 0) return nullptr;
  return std::unique_ptr<Listener>(
      new Listener(io, fd, family, to_string(address), std::move(unix_path)));
}

int Listener::bind(const ListenAddress& address, const ListenSettings& settings,
                   std::string* error) {
  int family = AF_UNIX;
  if (auto* unix_address = std::get_if<UnixAddress>(&address)) {
    return open_unix_socket(*unix_address, settings, error);
  }
  return open_tcp_socket(std::get<TcpAddress>(address), settings, family, error);
}

std::unique_ptr<Listener> Listener::adopt(asio::io_context& io, int fd, std::string name) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return nullptr;
  return std::unique_ptr<Listener>(new Listener(io, fd, local.ss_family, std::move(name), ""));
}

Listener::Listener(asio::io_context& io, int fd, int family, std::string name,
                   std::string unix_path)
    : acceptor_(io),
      retry_timer_(io),
      protocol_(family, family == AF_UNIX ? 0 : IPPROTO_TCP),
      name_(std::move(name)),
      unix_path_(std::move(unix_path)) {
  acceptor_.assign(protocol_, fd);
  // The status page's listen queue (TCP_INFO). A Unix socket has none (0, as php-fpm shows):
  // not asking saves a failing getsockopt each time every worker becomes busy.
  if (family != AF_UNIX) obs::note_listen_socket(fd);
}

void Listener::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  wait();
}

void Listener::resume() {
  if (closed_ || !paused_) return;
  paused_ = false;
  wait();
}

void Listener::wait() {
  if (closed_ || waiting_ || paused_) return;
  waiting_ = true;
  acceptor_.async_wait(asio::socket_base::wait_read, [this](const asio::error_code& ec) {
    waiting_ = false;
    if (ec || closed_) return;
    accept_ready();
  });
}

void Listener::accept_ready() {
  for (int burst = 0; burst < kAcceptBurst; ++burst) {
    if (!handlers_.may_accept()) {
      paused_ = true;  // resume() brings it back
      return;
    }
    sockaddr_storage peer{};
    int fd = accept_client(acceptor_.native_handle(), peer);
    if (fd < 0) {
      const int error = errno;
      handlers_.unused();
      if (error == ECONNABORTED || error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      spdlog::error("failed to accept a connection on {}: {}", name_, std::strerror(error));
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        retry_timer_.expires_after(kRetryAfterFdExhaustion);
        retry_timer_.async_wait([this](const asio::error_code& ec) {
          if (!ec) wait();
        });
        return;
      }
      break;
    }
    handlers_.accepted(fd, protocol_, peer);
  }
  wait();
}

int Listener::release() {
  if (released_fd_ < 0) released_fd_ = acceptor_.release();
  return released_fd_;
}

int Listener::fd() {
  if (closed_) return -1;
  if (released_fd_ >= 0) return released_fd_;
  return acceptor_.is_open() ? acceptor_.native_handle() : -1;
}

void Listener::close() {
  closed_ = true;
  if (acceptor_.is_open()) obs::forget_listen_socket(acceptor_.native_handle());
  asio::error_code ec;
  retry_timer_.cancel();
  acceptor_.close(ec);
  if (released_fd_ >= 0) {
    obs::forget_listen_socket(released_fd_);
    ::close(released_fd_);
    released_fd_ = -1;
  }
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

}  // namespace zfpm::net
