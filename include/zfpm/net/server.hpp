#pragma once
// The front end: every listening socket, and a Connection for every accepted client.
#include <asio.hpp>

#include <memory>
#include <string>
#include <vector>

#include "zfpm/net/connection.hpp"
#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/listener.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::net {

class Server {
 public:
  Server(asio::io_context& io, pool::WorkerPool& pool, ConnectionSettings settings);

  // Binds one address; false (logged in php-fpm's words) when it cannot.
  bool listen(const ListenAddress& address, int backlog);
  // Starts accepting on every bound address.
  void start();
  // Stops accepting; open connections are closed when the I/O context is torn down.
  void stop_accepting();

 private:
  asio::io_context& io_;
  pool::WorkerPool& pool_;
  ConnectionSettings settings_;
  std::vector<std::unique_ptr<Listener>> listeners_;
};

}  // namespace zfpm::net
