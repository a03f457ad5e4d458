#include "zfpm/net/connection.hpp"

#include <spdlog/spdlog.h>

#include "zfpm/fcgi/encoder.hpp"
#include "zfpm/net/channel.hpp"

namespace zfpm::net {

Connection::Connection(Socket socket, std::string peer, const ConnectionShared& shared)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      shared_(shared),
      parser_(shared.settings.limits, shared.spool_factory),
      timer_(socket_.get_executor()) {}

// Nothing to release here: every path that ends a connection goes through close(), and at
// teardown the Server (and its Admission) may already be gone.
Connection::~Connection() = default;

void Connection::start() {
  receive_start_ = last_activity_ = Clock::now();
  update_deadline();
  read();
}

void Connection::read() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void Connection::on_read(const asio::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    if (request_running_) {
      // The web server gave up on the running request: the script sees connection_aborted().
      abort_request();
      close_after_writes_ = true;  // keep the object until the worker finishes
      asio::error_code ignored;
      socket_.shutdown(asio::socket_base::shutdown_receive, ignored);
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
  if (!reserved_ && !request_running_ && !waiting_ && parser_.between_requests()) {
    receive_start_ = now;  // a new request starts arriving: its clock starts
    received_ = 0;
  }
  received_ += n;
  last_activity_ = now;
  events_.clear();
  parser_.feed(std::span<const char>(read_buffer_.data(), n), events_);
  for (auto& event : events_) {
    handle(event);
    if (closed_) return;
  }
  update_deadline();
  read();
}

void Connection::handle(fcgi::Event& event) {
  if (auto* ready = std::get_if<fcgi::RequestReady>(&event)) {
    on_ready(std::move(ready->request));
  } else if (auto* rejected = std::get_if<fcgi::BeginRejected>(&event)) {
    std::string out;
    fcgi::append_end_request(out, rejected->request_id, 0, rejected->status);
    // A refused role ends that request, and the connection too unless it asked to be kept; a
    // refused second request (CantMpxConn) leaves the running one alone.
    if (rejected->status != fcgi::ProtocolStatus::CantMpxConn && !rejected->keep_conn) {
      close_after_writes_ = true;
    }
    queue_write(std::move(out));
  } else if (auto* values = std::get_if<fcgi::GetValues>(&event)) {
    std::vector<std::pair<std::string, std::string>> answer;
    for (const auto& name : values->names) {
      if (name == "FCGI_MAX_CONNS" || name == "FCGI_MAX_REQS") {
        answer.emplace_back(name, std::to_string(shared_.settings.max_workers));
      } else if (name == "FCGI_MPXS_CONNS") {
        answer.emplace_back(name, "0");
      }
    }
    std::string out;
    fcgi::append_get_values_result(out, answer);
    queue_write(std::move(out));
  } else if (auto* unknown = std::get_if<fcgi::UnknownManagement>(&event)) {
    std::string out;
    fcgi::append_unknown_type(out, unknown->type);
    queue_write(std::move(out));
  } else if (auto* aborted = std::get_if<fcgi::Aborted>(&event)) {
    on_aborted(*aborted);
  } else if (auto* error = std::get_if<fcgi::ProtocolError>(&event)) {
    on_protocol_error(*error);
  }
}

void Connection::on_ready(fcgi::Request request) {
  if (reserved_) {
    // A new connection's first request takes the slot reserved for it at accept.
    reserved_ = false;
    shared_.admission.first_request();
    dispatch(std::move(request));
    return;
  }
  waiting_ = std::move(request);
  auto grant = [weak = weak_from_this(), executor = socket_.get_executor(),
                &admission = shared_.admission] {
    asio::post(executor, [weak, &admission] {
      if (auto self = weak.lock()) {
        self->admitted();
      } else {
        admission.job_done();  // nobody left to use the slot
      }
    });
  };
  if (shared_.admission.try_request(std::move(grant))) admitted();
  // Otherwise the request waits here, in memory or spooled, until a worker's slot is granted.
}

void Connection::admitted() {
  if (closed_ || !waiting_) {
    shared_.admission.job_done();  // aborted or gone while it waited
    return;
  }
  fcgi::Request request = std::move(*waiting_);
  waiting_.reset();
  dispatch(std::move(request));
  update_deadline();
}

void Connection::on_aborted(const fcgi::Aborted& aborted) {
  if (aborted.running && !waiting_) {
    abort_request();  // the worker ends it: the script sees connection_aborted()
    return;
  }
  // It never reached a worker: it ends here.
  waiting_.reset();
  std::string out;
  fcgi::append_end_request(out, aborted.request_id, 0, fcgi::ProtocolStatus::RequestComplete);
  parser_.request_finished();
  if (!aborted.keep_conn) close_after_writes_ = true;
  queue_write(std::move(out));
}

void Connection::on_protocol_error(const fcgi::ProtocolError& error) {
  switch (error.kind) {
    case fcgi::ProtocolError::Kind::Malformed:
      spdlog::warn("dropping connection from {}: FastCGI protocol error: {}", peer_, error.what);
      break;
    case fcgi::ProtocolError::Kind::Limit:
      spdlog::warn("dropping connection from {}: request over a limit: {}", peer_, error.what);
      break;
    case fcgi::ProtocolError::Kind::Storage:
      spdlog::error("dropping connection from {}: {}", peer_, error.what);
      break;
  }
  close();
}

void Connection::dispatch(fcgi::Request request) {
  auto channel = std::make_shared<Channel>(shared_from_this(), socket_.get_executor());
  channel_ = channel;
  request_running_ = true;
  if (!shared_.pool.submit(pool::Job{std::move(request), std::move(channel)})) close();
}

void Connection::queue_write(std::string bytes) {
  if (closed_ || bytes.empty()) return;
  writes_.push_back(std::move(bytes));
  if (!writing_) {
    write_progress_ = Clock::now();
    write_next();
    update_deadline();
  }
}

void Connection::write_next() {
  if (writes_.empty()) {
    writing_ = false;
    if (close_after_writes_ && !request_running_) close();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(writes_.front()),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                      self->on_written(ec, n);
                    });
}

void Connection::on_written(const asio::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    abort_request();
    writes_.clear();
    writing_ = false;
    if (request_running_) {
      close_after_writes_ = true;
    } else {
      close();
    }
    return;
  }
  write_progress_ = Clock::now();
  if (auto channel = channel_.lock()) channel->written(n);
  writes_.pop_front();
  write_next();
  update_deadline();
}

void Connection::finish_request(std::string last_records, bool keep_conn) {
  channel_.reset();
  request_running_ = false;
  parser_.request_finished();
  last_activity_ = Clock::now();  // the idle clock starts now, not at the request's last byte
  if (!keep_conn) close_after_writes_ = true;
  queue_write(std::move(last_records));
  if (!closed_ && !writing_ && close_after_writes_) close();
  update_deadline();
}

void Connection::abandon_request() {
  channel_.reset();
  request_running_ = false;
  close();
}

void Connection::abort_request() {
  if (auto channel = channel_.lock()) channel->abort();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  abort_request();
  waiting_.reset();
  shared_.admission.close(reserved_);
  reserved_ = false;
  asio::error_code ignored;
  timer_.cancel();
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  writes_.clear();
}

}  // namespace zfpm::net
