#pragma once
// The worker's handle on its connection (fcgi::ResponseChannel): records cross from the worker to
// the I/O thread by asio::post, and the worker waits while too many bytes are still unsent, which
// bounds a response's memory by kMaxUnsentBytes whatever the client's speed.
#include <asio.hpp>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "zfpm/fcgi/output_sink.hpp"

namespace zfpm::net {

class Connection;

class Channel final : public fcgi::ResponseChannel {
 public:
  static constexpr std::size_t kMaxUnsentBytes = 256 * 1024;

  Channel(std::shared_ptr<Connection> connection, asio::any_io_executor executor);
  ~Channel() override;

  bool send(std::string records) override;
  void finish(std::string records, bool keep_conn) override;
  bool aborted() const override { return aborted_.load(std::memory_order_acquire); }

  // I/O thread side.
  void written(std::size_t bytes);
  void abort();

 private:
  std::shared_ptr<Connection> connection_;  // released to the I/O thread, never dropped here
  asio::any_io_executor executor_;
  std::mutex mutex_;
  std::condition_variable drained_;
  std::size_t unsent_ = 0;
  std::atomic<bool> aborted_{false};
};

}  // namespace zfpm::net
