#include "zfpm/net/channel.hpp"

#include "zfpm/net/connection.hpp"
#include "zfpm/net/connection_outbox.hpp"

namespace zfpm::net {

Channel::Channel(std::shared_ptr<Connection> connection, Outbox& outbox,
                 asio::any_io_executor executor)
    : connection_(std::move(connection)), outbox_(outbox), executor_(std::move(executor)) {}

Channel::~Channel() {
  // A job dropped without finish() (the pool stopped): the connection learns it on its own
  // thread, and is released there.
  if (connection_) {
    asio::post(executor_, [connection = std::move(connection_)] { connection->abandon_request(); });
  }
}

bool Channel::send(std::string_view records) {
  if (aborted() || !connection_) return false;
  switch (outbox_.write(records)) {
    case Outbox::Result::Sent:
      return true;
    case Outbox::Result::Failed:
      aborted_.store(true, std::memory_order_release);
      return false;
    case Outbox::Result::Started:
      asio::post(executor_, [connection = connection_] { connection->start_draining(); });
      break;
    case Outbox::Result::Queued:
      break;
  }
  if (!outbox_.wait_below(kMaxUnsentBytes, aborted_)) {
    aborted_.store(true, std::memory_order_release);  // aborted, or the socket failed or closed
    return false;
  }
  return true;
}

void Channel::finish(std::string_view records, bool keep_conn) {
  if (!connection_) return;
  // A kept connection learns that the request is over before its last bytes go out: the client
  // may send the next request as soon as it has them (Connection::collect_finished).
  if (keep_conn) connection_->note_finish_time();
  const auto result = outbox_.write(records, keep_conn);
  if (keep_conn && result == Outbox::Result::Sent && !connection_->finish_wanted()) {
    connection_.reset();  // nothing for the I/O thread to do now
    return;
  }
  asio::post(executor_, [connection = std::move(connection_), keep_conn,
                         started = result == Outbox::Result::Started] {
    connection->finish_request(keep_conn, started);
  });
}

void Channel::abort() {
  aborted_.store(true, std::memory_order_release);
  outbox_.wake();
}

}  // namespace zfpm::net
