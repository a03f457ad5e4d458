#pragma once
// The channel of a connection that a worker accepted itself (Server::pull), as a php-fpm child
// does: the worker read its request, runs it and writes the response straight to the socket, and
// no other thread touches the socket meanwhile, so the request wakes nobody. When the request
// ends the worker closes the connection, or hands a kept one (FCGI_KEEP_CONN) to the I/O thread
// for its next requests. As under php-fpm, a client that goes away is noticed when a write fails.
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <string>

#include "zfpm/fcgi/output_sink.hpp"
#include "zfpm/net/connection_outbox.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::net {

class Server;

// A client a worker accepted: its descriptor (non-blocking, close-on-exec) and names. The
// descriptor goes with it: to the DirectChannel, then closed or released to the I/O thread's
// Connection.
struct PulledClient {
  UniqueFd fd;
  asio::generic::stream_protocol protocol{AF_UNIX, 0};
  std::string peer;       // for log lines
  std::string client_ip;  // the access log's %R
};

class DirectChannel final : public fcgi::ResponseChannel {
 public:
  DirectChannel(Server& server, PulledClient client, std::chrono::seconds client_timeout);
  // A request dropped without finish(): its connection is closed.
  ~DirectChannel() override;

  using fcgi::ResponseChannel::send;
  bool send(std::span<const std::string_view> pieces) override;
  void finish(std::string_view records, bool keep_conn) override;
  bool aborted() const override { return aborted_.load(std::memory_order_acquire); }

 private:
  // Writes all of the pieces, waiting while the socket is full (up to client_timeout without
  // progress); false, and aborted, when the client is gone or does not read.
  bool write_all(std::span<const std::string_view> pieces);
  // Before each send, a look at what the client sent meanwhile (one non-blocking peek): true,
  // and aborted, after an FCGI_ABORT_REQUEST (taken off the socket) or when the client closed.
  bool client_left();

  Server& server_;
  PulledClient client_;
  std::chrono::seconds client_timeout_;
  Outbox outbox_;
  std::atomic<bool> aborted_{false};
  bool ended_ = false;
  bool keepable_ = true;
};

}  // namespace zfpm::net
