#pragma once
// One FastCGI connection: owns the socket and its buffers, feeds bytes to the parser, hands
// complete requests to the worker pool and writes the records that come back. Runs only on the
// I/O thread; the worker reaches it through a ResponseChannel.
#include <asio.hpp>

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "zfpm/fcgi/parser.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::net {

class Channel;

struct ConnectionSettings {
  fcgi::ParserLimits limits;
  unsigned max_workers = 1;  // reported as FCGI_MAX_CONNS / FCGI_MAX_REQS
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  Connection(Socket socket, std::string peer, pool::WorkerPool& pool,
             const ConnectionSettings& settings);

  void start();
  void close();

  // Called on the I/O thread on behalf of the request's Channel.
  void queue_write(std::string bytes);
  void finish_request(std::string last_records, bool keep_conn);
  void abandon_request();

 private:
  void abort_request();

  void read();
  void on_read(const asio::error_code& ec, std::size_t n);
  void handle(fcgi::Event& event);
  void dispatch(fcgi::Request request);
  void write_next();

  Socket socket_;
  std::string peer_;
  pool::WorkerPool& pool_;
  const ConnectionSettings& settings_;
  fcgi::Parser parser_;
  std::vector<fcgi::Event> events_;
  std::array<char, 16 * 1024> read_buffer_{};

  std::deque<std::string> writes_;
  bool writing_ = false;
  bool close_after_writes_ = false;
  bool closed_ = false;
  // The running request's channel. Weak: the worker owns it, and when a job is dropped unserved
  // the channel's destructor tells this connection (abandon_request).
  std::weak_ptr<Channel> channel_;
  bool request_running_ = false;
};

}  // namespace zfpm::net
