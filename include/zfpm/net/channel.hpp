#pragma once
// The worker's handle on its connection (fcgi::ResponseChannel). The worker writes its records
// to the socket itself (connection_outbox.hpp): a response that the socket takes at once never
// wakes the I/O thread. While the script runs, a full socket holds the worker until the web
// server has read enough, as a php-fpm child blocks in write(): nothing piles up in memory and
// no other thread is involved. Only the last records, if the socket cannot take them at once,
// are left to the I/O thread, so that the worker is free for the next request.
#include <asio.hpp>
#include <atomic>
#include <memory>

#include "zfpm/fcgi/output_sink.hpp"

namespace zfpm::net {

class Connection;
class Outbox;

class Channel final : public fcgi::ResponseChannel {
 public:
  Channel(std::shared_ptr<Connection> connection, Outbox& outbox, asio::any_io_executor executor);
  ~Channel() override;

  using fcgi::ResponseChannel::send;
  bool send(std::span<const std::string_view> pieces) override;
  void finish(std::string_view records, bool keep_conn) override;
  bool aborted() const override { return aborted_.load(std::memory_order_acquire); }

  // I/O thread side, while the connection is alive.
  void abort();
  // A parked request taken back before any worker saw it: dropping it tells nobody.
  void detach() { connection_.reset(); }

 private:
  // The connection is released to the I/O thread (posted), except after a kept connection's
  // response went out whole: then the connection's pending read holds it anyway.
  std::shared_ptr<Connection> connection_;
  Outbox& outbox_;  // the connection's; valid while connection_ is held
  asio::any_io_executor executor_;
  std::atomic<bool> aborted_{false};
};

}  // namespace zfpm::net
