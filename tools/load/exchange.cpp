#include "exchange.hpp"

namespace zfpm::load {

namespace {
constexpr std::uint16_t kRequestId = 1;  // request.cpp's id: one request per connection at a time
}

Endpoint make_endpoint(const Target& target) {
  if (target.kind == Target::Kind::unix_path) {
    return Endpoint(asio::local::stream_protocol::endpoint(target.path));
  }
  return Endpoint(asio::ip::tcp::endpoint(asio::ip::make_address(target.host), target.port));
}

Exchange::Exchange(asio::io_context& io, Endpoint endpoint, const std::string& wire,
                   bool keep_alive, Clock::duration timeout, std::size_t keep_stdout_limit)
    : endpoint_(std::move(endpoint)),
      wire_(wire),
      keep_alive_(keep_alive),
      is_tcp_(endpoint_.protocol().family() != AF_UNIX),
      timeout_(timeout),
      keep_limit_(keep_stdout_limit),
      socket_(io),
      timer_(io) {}

void Exchange::start(Done done) {
  done_ = std::move(done);
  unsigned seq = ++seq_;
  finished_ = false;
  write_done_ = false;
  opened_ = false;
  leftover_ = false;
  received_ = 0;
  reader_ = ResponseReader(kRequestId, keep_limit_, skip_);
  skip_ = 0;

  timer_.expires_after(timeout_);
  timer_.async_wait([self = shared_from_this(), seq](const asio::error_code& ec) {
    if (ec || self->stale(seq)) return;
    self->finish(Outcome::timeout);
  });

  if (socket_.is_open()) {
    send();
    return;
  }
  // async_connect opens the socket for the endpoint's protocol (TCP or Unix).
  socket_.async_connect(endpoint_, [self = shared_from_this(), seq](const asio::error_code& ec) {
    if (self->stale(seq)) return;
    if (ec) {
      self->finish(Outcome::connect_error, ec.message());
      return;
    }
    self->opened_ = true;
    if (self->is_tcp_) {
      // Small requests and answers: Nagle would hold the request's last record back.
      asio::error_code ignored;
      self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    self->send();
  });
}

void Exchange::send() {
  unsigned seq = seq_;
  sent_at_ = Clock::now();
  // Write and read at once: a server may answer (an error, or a script that does not read its
  // body) before it has taken all of a large body, and would then wait for us to read.
  asio::async_write(socket_, asio::buffer(wire_),
                    [self = shared_from_this(), seq](const asio::error_code& ec, std::size_t) {
                      if (self->stale(seq)) return;
                      if (ec) {
                        self->finish(Outcome::io_error, "write: " + ec.message());
                        return;
                      }
                      self->write_done_ = true;
                    });
  read();
}

void Exchange::read() {
  unsigned seq = seq_;
  socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this(), seq](
                                                     const asio::error_code& ec, std::size_t n) {
    if (self->stale(seq)) return;
    if (ec) {
      self->finish(Outcome::io_error, ec == asio::error::eof
                                          ? std::string("connection closed before END_REQUEST")
                                          : "read: " + ec.message());
      return;
    }
    self->received_ += n;
    std::size_t used = self->reader_.feed(std::string_view(self->buffer_.data(), n));
    switch (self->reader_.state()) {
      case ResponseReader::State::reading:
        self->read();
        return;
      case ResponseReader::State::failed:
        self->finish(Outcome::protocol_error, self->reader_.error());
        return;
      case ResponseReader::State::complete:
        // We sent one request: anything after its END_REQUEST is not an answer to us.
        self->leftover_ = used < n;
        self->finish(
            self->reader_.protocol_status() == 0 ? Outcome::complete : Outcome::protocol_error,
            self->reader_.protocol_status() == 0
                ? std::string()
                : "protocol status " + std::to_string(self->reader_.protocol_status()));
        return;
    }
  });
}

void Exchange::finish(Outcome outcome, std::string error) {
  finished_ = true;
  timer_.cancel();
  ExchangeResult result{.outcome = outcome,
                        .error = std::move(error),
                        .response = &reader_,
                        .latency = Clock::now() - sent_at_,
                        .bytes_received = received_,
                        .opened_connection = opened_};
  // Reuse only a connection that ended cleanly: after a failure or a timeout its state is unknown;
  // with our body half-written (the server answered early) the next request would follow it.
  bool reuse = keep_alive_ && outcome == Outcome::complete && write_done_ && !leftover_;
  if (reuse) {
    skip_ = reader_.pending_padding();
  } else {
    asio::error_code ignored;
    socket_.close(ignored);
  }
  // done_ may call start(), which replaces done_: move it out first.
  Done done = std::move(done_);
  done(result);
}

}  // namespace zfpm::load
