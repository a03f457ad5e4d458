#include "zfpm/net/connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include "zfpm/net/channel.hpp"

namespace zfpm::net {

Connection::Connection(Socket socket, std::string peer, std::string client_ip,
                       const ConnectionShared& shared, bool reserved)
    : socket_(std::move(socket)),
      outbox_(socket_.native_handle()),
      peer_(std::move(peer)),
      client_ip_(std::move(client_ip)),
      shared_(shared),
      parser_(shared.settings.limits, shared.spool_factory),
      phase_(reserved ? Phase::Opening : Phase::Idle),
      timer_(socket_.get_executor()) {}

// Nothing to release here: every path that ends a connection goes through close(), and at
// teardown the Server (and its Admission) may already be gone.
Connection::~Connection() = default;

bool Connection::quiet() const {
  switch (phase_) {
    case Phase::Closed:
      return true;
    case Phase::Opening:
      return false;
    case Phase::Running:
      // A request whose last records are out counts as over (collect_finished has yet to run).
      return !writing_ && outbox_.finished() && outbox_.pending() == 0;
    case Phase::Idle:
      return !writing_ && parser_.between_requests();
  }
  return false;
}

void Connection::start() {
  receive_start_ = last_activity_ = Clock::now();
  update_deadline();
  read();
}

void Connection::start_with(fcgi::Parser parser, std::vector<fcgi::Event> events,
                            std::size_t received) {
  parser_ = std::move(parser);
  receive_start_ = last_activity_ = Clock::now();
  received_ = received;
  events_ = std::move(events);
  take_events();
}

void Connection::read() {
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
    if (ec) {
      self->on_read(ec, {});
    } else {
      self->read_ready();
    }
  });
}

void Connection::read_ready() {
  if (closed()) return;
  // One buffer per I/O thread, allocated on its first read; the bytes are parsed before this
  // returns, so no other connection can overwrite them.
  constexpr std::size_t kReadBytes = 64 * 1024;
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer = std::make_unique<char[]>(kReadBytes);
  // recv(2) itself: the descriptor is non-blocking from accept4, and asio's read_some would
  // want to be told so with an ioctl per connection.
  ssize_t n;
  do {
    n = ::recv(socket_.native_handle(), buffer.get(), kReadBytes, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    read();  // a spurious readiness
    return;
  }
  asio::error_code ec;
  if (n < 0) {
    ec = asio::error_code(errno, asio::error::get_system_category());
  } else if (n == 0) {
    ec = asio::error::eof;
  }
  on_read(ec, std::span<const char>(buffer.get(), n > 0 ? static_cast<std::size_t>(n) : 0));
}

void Connection::on_read(const asio::error_code& ec, std::span<const char> bytes) {
  const std::size_t n = bytes.size();
  if (closed()) return;
  collect_finished();  // before the bytes: they may be the next request
  if (ec) {
    if (phase_ == Phase::Running) {
      // The web server gave up on the running request: the script sees connection_aborted().
      abort_request();
      close_after_writes_ = true;  // keep the object until the worker finishes
      asio::error_code ignored;
      socket_.shutdown(asio::socket_base::shutdown_receive, ignored);
      want_finish_post();
      update_deadline();
      return;
    }
    if (parser_.mid_request()) {
      spdlog::warn("connection from {} closed in the middle of a request", peer_);
    }
    close();
    return;
  }
  const auto now = Clock::now();
  if (phase_ == Phase::Idle && parser_.between_requests()) {
    receive_start_ = now;  // a new request starts arriving: its clock starts
    received_ = 0;
  }
  received_ += n;
  last_activity_ = now;
  events_.clear();
  parser_.feed(bytes, events_);
  take_events();
}

void Connection::take_events() {
  for (auto& event : events_) {
    handle(event);
    if (closed()) return;
  }
  update_deadline();
  read();
}

void Connection::handle(fcgi::Event& event) {
  if (auto* ready = std::get_if<fcgi::RequestReady>(&event)) {
    on_ready(std::move(ready->request));
  } else if (auto* rejected = std::get_if<fcgi::BeginRejected>(&event)) {
    send_reply(fcgi::reply_to(*rejected));
  } else if (auto* values = std::get_if<fcgi::GetValues>(&event)) {
    send_reply(fcgi::reply_to(*values, shared_.settings.max_workers));
  } else if (auto* unknown = std::get_if<fcgi::UnknownManagement>(&event)) {
    send_reply(fcgi::reply_to(*unknown));
  } else if (auto* aborted = std::get_if<fcgi::Aborted>(&event)) {
    on_aborted(*aborted);
  } else if (auto* refused = std::get_if<fcgi::OverLimit>(&event)) {
    // It never reaches a worker: answered here, once all of it has arrived.
    spdlog::warn("request from {} over a limit, answered {}: {}", peer_, refused->http_status,
                 refused->what);
    parser_.request_finished();
    send_reply(fcgi::reply_to(*refused));
  } else if (auto* error = std::get_if<fcgi::ProtocolError>(&event)) {
    on_protocol_error(*error);
  }
}

void Connection::send_reply(fcgi::Reply reply) {
  if (reply.close_after) close_after_writes_ = true;
  queue_write(reply.records);
}

void Connection::on_ready(fcgi::Request request) {
  if (phase_ == Phase::Opening) {
    // A new connection's first request takes the slot reserved for it at accept.
    shared_.admission.first_request();
    dispatch(std::move(request), false);
    return;
  }
  dispatch(std::move(request), true);
}

void Connection::on_aborted(const fcgi::Aborted& aborted) {
  if (aborted.running && !unpark()) {
    abort_request();  // the worker ends it: the script sees connection_aborted()
    return;
  }
  // It never reached a worker: it ends here.
  parser_.request_finished();
  send_reply(fcgi::reply_to(aborted));
}

void Connection::on_protocol_error(const fcgi::ProtocolError& error) {
  switch (error.kind) {
    case fcgi::ProtocolError::Kind::Malformed:
      spdlog::warn("dropping connection from {}: FastCGI protocol error: {}", peer_, error.what);
      break;
    case fcgi::ProtocolError::Kind::Limit:
      spdlog::warn("dropping connection from {}: over a limit: {}", peer_, error.what);
      break;
    case fcgi::ProtocolError::Kind::Storage:
      spdlog::error("dropping connection from {}: {}", peer_, error.what);
      break;
  }
  close();
}

void Connection::dispatch(fcgi::Request request, bool park) {
  auto channel = std::make_shared<Channel>(shared_from_this(), outbox_, socket_.get_executor());
  channel_ = channel;
  phase_ = Phase::Running;
  outbox_.clear_finished();
  notify_finish_.store(false);
  request.client_ip = client_ip_;
  Channel* raw_channel = channel.get();
  pool::Job job{std::move(request), std::move(channel)};
  if (!park) {
    if (!shared_.pool.submit(std::move(job))) close();
    return;
  }
  parked_ = std::make_shared<Parked>();
  parked_->job = std::move(job);
  parked_->channel = raw_channel;
  // Runs on the thread that frees the slot (a worker, usually about to ask for its next job).
  auto grant = [parked = parked_, &pool = shared_.pool, &admission = shared_.admission] {
    auto waiting = ParkState::Waiting;
    if (!parked->state.compare_exchange_strong(waiting, ParkState::Taken)) {
      admission.job_done();  // taken back while it waited: the slot goes on
      return;
    }
    pool.submit(std::move(parked->job));  // when the pool stops, the dropped job's channel
                                          // tells the connection (abandon_request)
  };
  if (shared_.admission.try_request(grant)) grant();
  // Otherwise the request waits with Admission, in memory or spooled, until a slot is free.
}

bool Connection::unpark() {
  if (!parked_) return false;
  auto waiting = ParkState::Waiting;
  auto parked = std::move(parked_);
  if (!parked->state.compare_exchange_strong(waiting, ParkState::Cancelled)) {
    return false;  // a grant took it: it runs
  }
  // Nobody else touches the job now; its channel must not report an abandoned request.
  parked->channel->detach();
  parked->job = pool::Job{};
  channel_.reset();
  if (phase_ == Phase::Running) phase_ = Phase::Idle;
  return true;
}

void Connection::queue_write(std::string_view bytes) {
  if (closed() || bytes.empty()) return;
  switch (outbox_.write(bytes)) {
    case Outbox::Result::Started:
      start_draining();
      break;
    case Outbox::Result::Failed:
      on_write_failed();
      return;
    case Outbox::Result::Queued:
    case Outbox::Result::Sent:
      break;
  }
  if (!writing_ && close_after_writes_ && phase_ != Phase::Running) close();
}

void Connection::start_draining() {
  if (closed() || writing_) return;
  writing_ = true;
  write_progress_ = Clock::now();
  wait_writable();
  update_deadline();
}

void Connection::wait_writable() {
  socket_.async_wait(Socket::wait_write, [self = shared_from_this()](const asio::error_code& ec) {
    self->on_writable(ec);
  });
}

void Connection::on_writable(const asio::error_code& ec) {
  if (closed()) return;
  bool more = false;
  bool failed = static_cast<bool>(ec);
  const std::size_t sent = failed ? 0 : outbox_.drain(more, failed);
  if (failed) {
    on_write_failed();
    return;
  }
  if (sent > 0) write_progress_ = Clock::now();
  if (more) {
    wait_writable();
    update_deadline();
    return;
  }
  writing_ = false;
  collect_finished();
  if (close_after_writes_ && phase_ != Phase::Running) close();
  update_deadline();
}

void Connection::on_write_failed() {
  abort_request();
  writing_ = false;
  collect_finished();
  if (phase_ == Phase::Running) {
    close_after_writes_ = true;
    want_finish_post();
  } else {
    close();
  }
}

void Connection::note_finish_time() {
  finished_at_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

bool Connection::finish_wanted() const {
  return notify_finish_.load();  // seq_cst, after the outbox's finished mark: see want_finish_post
}

void Connection::want_finish_post() {
  // Dekker's pattern with the worker's finished mark (Outbox::write) and finish_wanted():
  // either the worker sees this and posts its finish, or this sees its mark and collects it now.
  notify_finish_.store(true);
  collect_finished();
}

void Connection::collect_finished() {
  if (phase_ != Phase::Running || !outbox_.take_finished()) return;
  const Clock::time_point at(Clock::duration(finished_at_.load(std::memory_order_relaxed)));
  complete_request(true, at);
}

void Connection::finish_request(bool keep_conn, bool start_drain) {
  if (start_drain) start_draining();
  if (keep_conn) {
    collect_finished();  // a no-op when a read or the timer took it in first
  } else if (phase_ == Phase::Running) {
    complete_request(false, Clock::now());
  }
}

void Connection::complete_request(bool keep_conn, Clock::time_point at) {
  channel_.reset();
  parked_.reset();
  phase_ = Phase::Idle;
  parser_.request_finished();
  last_activity_ = at;  // the idle clock starts now, not at the request's last byte
  if (!keep_conn || outbox_.failed()) close_after_writes_ = true;
  if (!writing_ && close_after_writes_) close();
  update_deadline();
}

void Connection::abandon_request() {
  channel_.reset();
  if (phase_ == Phase::Running) phase_ = Phase::Idle;
  close();
}

void Connection::abort_request() {
  if (auto channel = channel_.lock()) channel->abort();
}

void Connection::close() {
  if (closed()) return;
  const bool reserved = phase_ == Phase::Opening;
  phase_ = Phase::Closed;
  if (!unpark()) abort_request();
  shared_.admission.close(reserved);
  asio::error_code ignored;
  timer_.cancel();
  outbox_.close();  // before the descriptor goes: no worker sends on it after this
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace zfpm::net
