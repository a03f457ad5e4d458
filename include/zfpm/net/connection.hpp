#pragma once
// One FastCGI connection: owns the socket and its buffers, feeds bytes to the parser, hands
// complete requests to the worker pool (through Admission's flow control) and writes the records
// that come back. Runs only on its strand; the worker reaches it through a ResponseChannel.
//
// Deadlines (settings.client_timeout / idle_timeout), one timer:
//   receiving a request (or a new connection's first one): client_timeout from its first byte,
//     plus a second per kSlowClientBytesPerSecond received — a dribbling client is cut;
//   idle between keep-alive requests: idle_timeout;
//   a response the client does not read: client_timeout without progress.
// A request that runs or waits for a worker has no read deadline (the script takes its time).
#include <array>
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zfpm/fcgi/parser.hpp"
#include "zfpm/net/admission.hpp"
#include "zfpm/net/settings.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::net {

class Channel;

// What every connection of a server shares; owned by the Server.
struct ConnectionShared {
  pool::WorkerPool& pool;
  Admission& admission;
  const ConnectionSettings& settings;
  fcgi::SpoolFactory spool_factory;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  using Clock = std::chrono::steady_clock;

  // A new connection holds a reserved admission slot until its first request is ready.
  Connection(Socket socket, std::string peer, const ConnectionShared& shared);
  ~Connection();

  void start();
  void close();

  // Called on the strand on behalf of the request's Channel.
  void queue_write(std::string bytes);
  void finish_request(std::string last_records, bool keep_conn);
  void abandon_request();

 private:
  void abort_request();

  void read();
  void on_read(const asio::error_code& ec, std::size_t n);
  void handle(fcgi::Event& event);
  void on_ready(fcgi::Request request);
  void on_aborted(const fcgi::Aborted& aborted);
  void on_protocol_error(const fcgi::ProtocolError& error);
  void admitted();
  void dispatch(fcgi::Request request);
  void write_next();
  void on_written(const asio::error_code& ec, std::size_t n);

  void update_deadline();
  void arm_timer(Clock::time_point when);
  void on_timer();

  Socket socket_;
  std::string peer_;
  const ConnectionShared& shared_;
  fcgi::Parser parser_;
  std::vector<fcgi::Event> events_;
  std::array<char, 64 * 1024> read_buffer_{};

  std::deque<std::string> writes_;
  bool writing_ = false;
  bool close_after_writes_ = false;
  bool closed_ = false;

  // Admission: a new connection's reserved slot; a ready request waiting for a worker's slot.
  bool reserved_ = true;
  std::optional<fcgi::Request> waiting_;
  // The running request's channel. Weak: the worker owns it, and when a job is dropped unserved
  // the channel's destructor tells this connection (abandon_request).
  std::weak_ptr<Channel> channel_;
  bool request_running_ = false;

  // Deadlines.
  asio::steady_timer timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();  // what the timer is armed for
  Clock::time_point receive_start_;                        // first byte of the current request
  std::uint64_t received_ = 0;                             // bytes of it so far
  Clock::time_point last_activity_;                        // last read, for the idle deadline
  Clock::time_point write_progress_;                       // last write progress
};

}  // namespace zfpm::net
