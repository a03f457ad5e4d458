#pragma once
// One listening socket. Sockets are created and accepted with SOCK_CLOEXEC ourselves (asio's own
// accept would leave a window in which a PHP exec() in another thread inherits the descriptor).
#include <asio.hpp>

#include <functional>
#include <memory>
#include <string>

#include "zfpm/net/listen_address.hpp"

namespace zfpm::net {

class Listener {
 public:
  // The accepted descriptor (non-blocking, close-on-exec) and the peer's address for logs.
  using OnAccept = std::function<void(int fd, const asio::generic::stream_protocol& protocol,
                                      std::string peer)>;

  // Binds and listens; on failure returns null and sets *error to php-fpm-like wording.
  static std::unique_ptr<Listener> open(asio::io_context& io, const ListenAddress& address,
                                        int backlog, std::string* error);

  void start(OnAccept on_accept);
  void close();
  const std::string& name() const { return name_; }

 private:
  Listener(asio::io_context& io, int fd, int family, std::string name, std::string unix_path);
  void wait();
  void accept_ready();

  asio::basic_socket_acceptor<asio::generic::stream_protocol> acceptor_;
  asio::generic::stream_protocol protocol_;
  std::string name_;
  std::string unix_path_;  // removed again on close
  OnAccept on_accept_;
};

}  // namespace zfpm::net
