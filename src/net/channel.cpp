#include "zfpm/net/channel.hpp"

#include "zfpm/net/connection.hpp"

namespace zfpm::net {

Channel::Channel(std::shared_ptr<Connection> connection, asio::any_io_executor executor)
    : connection_(std::move(connection)), executor_(std::move(executor)) {}

Channel::~Channel() {
  // A job dropped without finish() (the pool stopped): the connection learns it on its own
  // thread, and is released there.
  if (connection_) {
    asio::post(executor_, [connection = std::move(connection_)] { connection->abandon_request(); });
  }
}

bool Channel::send(std::string records) {
  if (aborted()) return false;
  {
    std::lock_guard lock(mutex_);
    unsent_ += records.size();
  }
  asio::post(executor_, [connection = connection_, bytes = std::move(records)]() mutable {
    connection->queue_write(std::move(bytes));
  });
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [&] { return unsent_ <= kMaxUnsentBytes || aborted(); });
  return !aborted();
}

void Channel::finish(std::string records, bool keep_conn) {
  if (!connection_) return;
  asio::post(executor_, [connection = std::move(connection_), bytes = std::move(records),
                         keep_conn]() mutable {
    connection->finish_request(std::move(bytes), keep_conn);
  });
}

void Channel::written(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  unsent_ = bytes > unsent_ ? 0 : unsent_ - bytes;
  drained_.notify_all();
}

void Channel::abort() {
  aborted_.store(true, std::memory_order_release);
  std::lock_guard lock(mutex_);
  drained_.notify_all();
}

}  // namespace zfpm::net
