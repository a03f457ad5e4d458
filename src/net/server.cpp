#include "zfpm/net/server.hpp"

#include <spdlog/spdlog.h>

namespace zfpm::net {

Server::Server(asio::io_context& io, pool::WorkerPool& pool, ConnectionSettings settings)
    : io_(io), pool_(pool), settings_(std::move(settings)) {}

bool Server::listen(const ListenAddress& address, int backlog) {
  std::string error;
  auto listener = Listener::open(io_, address, backlog, &error);
  if (!listener) {
    spdlog::error("{}", error);
    return false;
  }
  listeners_.push_back(std::move(listener));
  return true;
}

void Server::start() {
  for (auto& listener : listeners_) {
    listener->start([this](int fd, const asio::generic::stream_protocol& protocol,
                           std::string peer) {
      Connection::Socket socket(asio::make_strand(io_), protocol, fd);
      std::make_shared<Connection>(std::move(socket), std::move(peer), pool_, settings_)
          ->start();
    });
  }
}

void Server::stop_accepting() {
  for (auto& listener : listeners_) listener->close();
}

}  // namespace zfpm::net
