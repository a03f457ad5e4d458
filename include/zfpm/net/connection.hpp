#pragma once
// One FastCGI connection: owns the socket and its buffers, feeds bytes to the parser, hands
// complete requests to the worker pool (through Admission's flow control). Runs only on its
// strand; the worker reaches it through a ResponseChannel, and writes its records to the socket
// itself through the connection's Outbox; the I/O thread sends only what the socket could not
// take at once. A kept connection learns that its request is over without a wake-up
// (Outbox::write(..., last)), and collects that the next time it runs (a read, the timer, a post).
//
// Deadlines (settings.client_timeout / idle_timeout), one timer:
//   receiving a request (or a new connection's first one): client_timeout from its first byte,
//     plus a second per kSlowClientBytesPerSecond received — a dribbling client is cut;
//   idle between keep-alive requests: idle_timeout;
//   a response the client does not read: client_timeout without progress.
// A request that runs or waits for a worker has no read deadline (the script takes its time).
//
// Its life is one Phase (below) plus two flags that are not phases: writing_ (the strand is
// sending what the socket could not take) and close_after_writes_ (the connection ends once the
// request under way is over and the queue is sent); docs/internals.md, "Connection".
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zfpm/fcgi/parser.hpp"
#include "zfpm/fcgi/reply.hpp"
#include "zfpm/net/admission.hpp"
#include "zfpm/net/connection_outbox.hpp"
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

  enum class Phase {
    // New: holds the admission slot reserved at accept until its first request is ready (or the
    // connection goes: Admission::close(true)).
    Opening,
    // No request handed out: idle between requests, or receiving the next one.
    Idle,
    // A request was handed out, to the pool or parked with Admission until a slot is free (the
    // thread that frees the slot takes it from parked_ without this strand), until its end is
    // collected (collect_finished) or it is taken back (unpark).
    Running,
    // The socket is closed and Admission told; nothing happens any more.
    Closed,
  };

  // A new connection holds a reserved admission slot until its first request is ready; one a
  // worker served a first request on (Server::pull) comes without one (`reserved` false).
  // socket: non-blocking already (accept4); peer: for log lines; client_ip: the access log's %R.
  Connection(Socket socket, std::string peer, std::string client_ip, const ConnectionShared& shared,
             bool reserved = true);
  ~Connection();

  void start();
  // Starts with what a worker already read from the socket (Server::pull): the parser that took
  // `received` bytes and the events it gave.
  void start_with(fcgi::Parser parser, std::vector<fcgi::Event> events, std::size_t received);
  void close();
  // Nothing in flight: no request arriving, waiting, running or being written, and not a new
  // connection whose first request is on its way (for a graceful stop, which then closes it).
  // Call on the strand.
  bool quiet() const;

  // Called on the strand on behalf of the request's Channel.
  void queue_write(std::string_view bytes);
  // The worker's outbox queued bytes: send them as the socket becomes writable.
  void start_draining();
  // The request is over and its last records are written or queued.
  void finish_request(bool keep_conn, bool start_drain);
  void abandon_request();
  // The worker, for a kept connection: note_finish_time() before the last records are written
  // (Outbox::write(..., true) marks the request finished); finish_wanted() after, true when the
  // strand asked to be told by a post (it is waiting to close).
  void note_finish_time();
  bool finish_wanted() const;
  // The worker, whose response the client has not read for client_timeout (it waits on the
  // socket itself, Outbox::drain_until_empty): the limit, and the cut, which runs on the strand.
  std::chrono::seconds client_timeout() const { return shared_.settings.client_timeout; }
  void close_unread();

 private:
  void abort_request();

  // Waits until the socket is readable, then reads into the I/O thread's own buffer: a
  // connection holds no read buffer of its own, and an idle keep-alive connection costs no
  // speculative read that finds nothing.
  void read();
  void read_ready();
  void on_read(const asio::error_code& ec, std::span<const char> bytes);
  // Handles the parser's events_, then waits for more.
  void take_events();
  void handle(fcgi::Event& event);
  // Queues what the connection answers by itself (fcgi/reply.hpp).
  void send_reply(fcgi::Reply reply);
  void on_ready(fcgi::Request request);
  void on_aborted(const fcgi::Aborted& aborted);
  void on_protocol_error(const fcgi::ProtocolError& error);
  // Starts the request: to the pool now, or parked in Admission's queue until a slot is free.
  void dispatch(fcgi::Request request, bool park);
  // A parked request that no worker took yet is taken back (true), to be ended here.
  bool unpark();
  void wait_writable();
  void on_writable(const asio::error_code& ec);
  void on_write_failed();
  // Takes in a finish the worker marked; then the next request may start.
  void collect_finished();
  // Asks the worker to post its finish, then collects one that raced with the asking.
  void want_finish_post();
  void complete_request(bool keep_conn, Clock::time_point at);

  bool closed() const { return phase_ == Phase::Closed; }

  void update_deadline();
  void arm_timer(Clock::time_point when);
  void on_timer();

  Socket socket_;
  Outbox outbox_;  // every write to socket_, from this strand or the worker
  std::string peer_;
  std::string client_ip_;  // for the access log's %R (fcgi::Request::client_ip)
  const ConnectionShared& shared_;
  fcgi::Parser parser_;
  std::vector<fcgi::Event> events_;

  Phase phase_;
  bool writing_ = false;  // the outbox has queued bytes and the strand is sending them
  bool close_after_writes_ = false;

  // A ready request waiting for a slot is already a job, parked with Admission: the worker that
  // frees a slot hands it to the pool itself (and usually takes it), with no trip through this
  // strand. Whoever moves `state` from Waiting first owns the job.
  enum class ParkState {
    Waiting,    // with Admission
    Taken,      // a grant handed it to the pool
    Cancelled,  // taken back here (unpark) before any grant
  };
  struct Parked {
    std::atomic<ParkState> state{ParkState::Waiting};
    pool::Job job;
    Channel* channel = nullptr;  // job's
  };
  std::shared_ptr<Parked> parked_;  // the running request, while it may still be waiting
  // The running request's channel. Weak: the worker owns it, and when a job is dropped unserved
  // the channel's destructor tells this connection (abandon_request).
  std::weak_ptr<Channel> channel_;
  // Set by the worker (note_finish_time, and the outbox's finished mark), taken by the strand
  // (collect_finished).
  std::atomic<Clock::rep> finished_at_{0};
  std::atomic<bool> notify_finish_{false};

  // Deadlines.
  asio::steady_timer timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();  // what the timer is armed for
  Clock::time_point receive_start_;                        // first byte of the current request
  std::uint64_t received_ = 0;                             // bytes of it so far
  Clock::time_point last_activity_;                        // last read, for the idle deadline
  Clock::time_point write_progress_;                       // last write progress
};

}  // namespace zfpm::net
