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

bool Channel::send(std::span<const std::string_view> pieces) {
  if (aborted() || !connection_) return false;
  // This worker sends it itself as the socket drains, from the script's memory.
  switch (outbox_.write_through(pieces, aborted_, connection_->client_timeout())) {
    case Outbox::DrainResult::Drained:
      return true;
    case Outbox::DrainResult::Stalled:
      asio::post(executor_, [connection = connection_] { connection->close_unread(); });
      break;
    case Outbox::DrainResult::Stopped:
      break;
  }
  aborted_.store(true, std::memory_order_release);  // aborted, or the socket failed or closed
  return false;
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

void Channel::abort() { aborted_.store(true, std::memory_order_release); }

}  // namespace zfpm::net
