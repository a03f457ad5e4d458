#include "zfpm/net/direct_channel.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "zfpm/fcgi/protocol.hpp"
#include "zfpm/net/server.hpp"

namespace zfpm::net {

DirectChannel::DirectChannel(Server& server, PulledClient client,
                             std::chrono::seconds client_timeout)
    : server_(server),
      client_(std::move(client)),
      client_timeout_(client_timeout),
      outbox_(client_.fd.get()) {}

DirectChannel::~DirectChannel() {
  if (!ended_) server_.end_pulled(std::move(client_), false);
}

bool DirectChannel::send(std::span<const std::string_view> pieces) {
  return !aborted() && !client_left() && write_all(pieces);
}

void DirectChannel::finish(std::string_view records, bool keep_conn) {
  if (ended_) return;
  // After an ABORT_REQUEST the request still ends with its records (END_REQUEST).
  const bool whole = write_all(std::span(&records, 1));
  ended_ = true;
  server_.end_pulled(std::move(client_), whole && keep_conn && keepable_);
}

bool DirectChannel::client_left() {
  // The client may only have sent FCGI_ABORT_REQUEST for this request, or closed.
  char header[fcgi::kHeaderSize];
  const ssize_t n = ::recv(client_.fd.get(), header, sizeof header, MSG_PEEK | MSG_DONTWAIT);
  const bool abort_record = n == static_cast<ssize_t>(sizeof header) &&
                            static_cast<std::uint8_t>(header[1]) ==
                                static_cast<std::uint8_t>(fcgi::RecordType::AbortRequest);
  if (abort_record) {
    (void)!::recv(client_.fd.get(), header, sizeof header, MSG_DONTWAIT);
    // An ABORT_REQUEST carries no content; one that does leaves bytes this channel does not
    // read, so the connection is not kept.
    if (header[4] != 0 || header[5] != 0 || header[6] != 0) keepable_ = false;
  }
  if (n == 0 || abort_record) aborted_.store(true, std::memory_order_release);
  return n == 0 || abort_record;
}

bool DirectChannel::write_all(std::span<const std::string_view> pieces) {
  switch (outbox_.write_through(pieces, aborted_, client_timeout_)) {
    case Outbox::DrainResult::Drained:
      return true;
    case Outbox::DrainResult::Stalled:
      spdlog::warn("closing connection from {}: response not read for {} seconds (client_timeout)",
                   client_.peer, client_timeout_.count());
      break;
    case Outbox::DrainResult::Stopped:
      break;
  }
  aborted_.store(true, std::memory_order_release);
  return false;
}

}  // namespace zfpm::net
