#pragma once
// One listening socket. Sockets are created and accepted with SOCK_CLOEXEC ourselves (asio's own
// accept would leave a window in which a PHP exec() in another thread inherits the descriptor).
// Accepting is flow-controlled: before each accept the listener asks may_accept; when refused it
// stops watching the socket (clients wait in the kernel's backlog) until resume().
#include <sys/socket.h>

#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/settings.hpp"

namespace zfpm::net {

class Listener {
 public:
  struct Handlers {
    // True to accept one connection now (its room is then taken); false pauses the listener.
    std::function<bool()> may_accept;
    // The room taken by may_accept was not used (nobody was waiting after all).
    std::function<void()> unused;
    // The accepted descriptor (non-blocking, close-on-exec) and the peer's address.
    std::function<void(int fd, const asio::generic::stream_protocol& protocol,
                       const sockaddr_storage& peer)>
        accepted;
  };

  // Binds and listens; on failure returns null and sets *error to php-fpm-like wording.
  static std::unique_ptr<Listener> open(asio::io_context& io, const ListenAddress& address,
                                        const ListenSettings& settings, std::string* error);

  // For the master: a bound, listening, non-blocking socket (close-on-exec), or -1 with *error.
  static int bind(const ListenAddress& address, const ListenSettings& settings,
                  std::string* error);
  // For a pool's child: accepts on a socket the master bound. Closing it leaves a Unix socket's
  // file in place (the master owns it). -1 family: read from the socket.
  static std::unique_ptr<Listener> adopt(asio::io_context& io, int fd, std::string name);

  void start(Handlers handlers);
  // After a refusal: watch the socket again. Call on the I/O thread.
  void resume();
  void close();
  const std::string& name() const { return name_; }
  // Instead of start(): the listening descriptor, out of the I/O thread's reactor, for workers
  // that accept on it themselves (Server::lead). Valid until close(), which closes it.
  int release();
  // The listening descriptor, watched or released; -1 once closed.
  int fd();
  const asio::generic::stream_protocol& protocol() const { return protocol_; }

 private:
  Listener(asio::io_context& io, int fd, int family, std::string name, std::string unix_path);
  void wait();
  void accept_ready();

  asio::basic_socket_acceptor<asio::generic::stream_protocol> acceptor_;
  asio::steady_timer retry_timer_;
  asio::generic::stream_protocol protocol_;
  std::string name_;
  std::string unix_path_;  // removed again on close
  Handlers handlers_;
  bool waiting_ = false;
  bool paused_ = false;
  bool closed_ = false;
  int released_fd_ = -1;
};

}  // namespace zfpm::net
