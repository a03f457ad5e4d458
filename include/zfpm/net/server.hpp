#pragma once
// The front end: every listening socket, and a Connection for every accepted client. Accepting
// follows the workers (net/admission.hpp): when every worker is busy and the queue is full, zfpm
// stops accepting and clients wait in the kernel's listen backlog.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zfpm/net/admission.hpp"
#include "zfpm/net/allowed_clients.hpp"
#include "zfpm/net/connection.hpp"
#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/listener.hpp"
#include "zfpm/net/settings.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::net {

class Server {
 public:
  // Takes over the pool's job-done callback (flow control); call before pool.start().
  Server(asio::io_context& io, pool::WorkerPool& pool, ServerSettings settings);

  // Binds one address; false (logged in php-fpm's words) when it cannot.
  bool listen(const ListenAddress& address);
  // Accepts on a socket bound by the master (Listener::adopt). False when it is not a socket.
  bool adopt(int fd, std::string name);
  // Called (on the I/O thread) each time a client is left waiting because every worker is busy.
  void set_on_busy(std::function<void()> on_busy) { on_busy_ = std::move(on_busy); }
  // Starts accepting on every bound address.
  void start();
  // Stops accepting; open connections are closed when the I/O context is torn down.
  void stop_accepting();
  // For a graceful stop, on the I/O thread: true when no connection has a request in flight.
  bool quiet();
  // Closes every connection (after quiet(): only idle keep-alive ones are left).
  void close_connections();

 private:
  bool may_accept();
  void accepted(int fd, const asio::generic::stream_protocol& protocol,
                const sockaddr_storage& peer);

  asio::io_context& io_;
  ServerSettings settings_;
  Admission admission_;
  std::optional<AllowedClients> allowed_clients_;
  ConnectionShared shared_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::weak_ptr<Connection>> connections_;  // for quiet(); pruned as they go
  std::function<void()> on_busy_;
  // When each kind of refusal was last logged: a full server says so, but not per accept.
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_busy_log_{};
  Clock::time_point last_full_log_{};
};

}  // namespace zfpm::net
