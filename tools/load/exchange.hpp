#pragma once
// One connection's request/response cycle: connect if there is no open connection, write the
// request's bytes while reading the answer, end at END_REQUEST, a failure or the timeout. With
// keep-alive the connection stays open for the next start(); otherwise, and after any failure, it
// is closed. Single-threaded: an Exchange lives on one io_context run by one thread.
#include <array>
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "options.hpp"
#include "response_reader.hpp"

namespace zfpm::load {

using Endpoint = asio::generic::stream_protocol::endpoint;
using Clock = std::chrono::steady_clock;

enum class Outcome { complete, connect_error, timeout, io_error, protocol_error };

struct ExchangeResult {
  Outcome outcome = Outcome::complete;
  std::string error;                 // for connect/io/protocol errors
  const ResponseReader* response{};  // valid only during the callback
  Clock::duration latency{};         // first write to END_REQUEST (complete only)
  std::uint64_t bytes_received = 0;
  bool opened_connection = false;  // this request connected (rather than reused one)
};

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Done = std::function<void(const ExchangeResult&)>;

  // `wire` must outlive the Exchange; it is sent as is, every time.
  Exchange(asio::io_context& io, Endpoint endpoint, const std::string& wire, bool keep_alive,
           Clock::duration timeout, std::size_t keep_stdout_limit);

  // Starts the next request; `done` runs once, on the io_context's thread, and may call start().
  void start(Done done);
  // How long the request in flight has waited at `now`, since start(); zero when none is.
  Clock::duration waited(Clock::time_point now) const {
    return finished_ ? Clock::duration::zero() : now - (timer_.expiry() - timeout_);
  }

 private:
  void send();
  void read();
  void finish(Outcome outcome, std::string error = {});
  bool stale(unsigned seq) const { return seq != seq_ || finished_; }

  Endpoint endpoint_;
  const std::string& wire_;
  bool keep_alive_;
  bool is_tcp_;
  Clock::duration timeout_;
  std::size_t keep_limit_;
  asio::generic::stream_protocol::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 64 * 1024> buffer_{};

  // Per request. seq_ tells a handler of this request from a leftover of an earlier one (an
  // aborted read or write completing after the socket was closed).
  unsigned seq_ = 0;
  bool finished_ = true;
  bool write_done_ = false;
  bool opened_ = false;
  bool leftover_ = false;  // bytes after END_REQUEST: the connection cannot be trusted again
  std::size_t skip_ = 0;   // END_REQUEST padding of the previous response still to come
  ResponseReader reader_{1, 0};
  Clock::time_point sent_at_{};
  std::uint64_t received_ = 0;
  Done done_;
};

// ADDR as an endpoint; throws std::system_error for a host that is not a numeric address.
Endpoint make_endpoint(const Target& target);

}  // namespace zfpm::load
