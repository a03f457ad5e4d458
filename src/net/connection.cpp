#include "zfpm/net/connection.hpp"

#include <spdlog/spdlog.h>

#include "zfpm/fcgi/encoder.hpp"
#include "zfpm/net/channel.hpp"

namespace zfpm::net {

Connection::Connection(Socket socket, std::string peer, pool::WorkerPool& pool,
                       const ConnectionSettings& settings)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      pool_(pool),
      settings_(settings),
      parser_(settings.limits) {}

void Connection::start() { read(); }

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
    } else if (parser_.mid_request()) {
      spdlog::warn("connection from {} closed in the middle of a request", peer_);
    }
    if (request_running_) {
      close_after_writes_ = true;  // keep the object until the worker finishes
      asio::error_code ignored;
      socket_.shutdown(asio::socket_base::shutdown_receive, ignored);
      return;
    }
    close();
    return;
  }
  events_.clear();
  parser_.feed(std::span<const char>(read_buffer_.data(), n), events_);
  for (auto& event : events_) {
    handle(event);
    if (closed_) return;
  }
  read();
}

void Connection::handle(fcgi::Event& event) {
  if (auto* ready = std::get_if<fcgi::RequestReady>(&event)) {
    dispatch(std::move(ready->request));
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
        answer.emplace_back(name, std::to_string(settings_.max_workers));
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
    if (aborted->running) {
      abort_request();  // the worker ends it: the script sees connection_aborted()
    } else {
      // It never reached a worker: it ends here.
      std::string out;
      fcgi::append_end_request(out, aborted->request_id, 0,
                               fcgi::ProtocolStatus::RequestComplete);
      parser_.request_finished();
      if (!aborted->keep_conn) close_after_writes_ = true;
      queue_write(std::move(out));
    }
  } else if (auto* error = std::get_if<fcgi::ProtocolError>(&event)) {
    spdlog::warn("dropping connection from {}: FastCGI protocol error: {}", peer_,
                    error->what);
    close();
  }
}

void Connection::dispatch(fcgi::Request request) {
  auto channel = std::make_shared<Channel>(shared_from_this(), socket_.get_executor());
  channel_ = channel;
  request_running_ = true;
  if (!pool_.submit(pool::Job{std::move(request), std::move(channel)})) close();
}

void Connection::queue_write(std::string bytes) {
  if (closed_ || bytes.empty()) return;
  writes_.push_back(std::move(bytes));
  if (!writing_) write_next();
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
                      if (self->closed_) return;
                      if (ec) {
                        self->abort_request();
                        self->writes_.clear();
                        self->writing_ = false;
                        if (self->request_running_) {
                          self->close_after_writes_ = true;
                        } else {
                          self->close();
                        }
                        return;
                      }
                      if (auto channel = self->channel_.lock()) channel->written(n);
                      self->writes_.pop_front();
                      self->write_next();
                    });
}

void Connection::finish_request(std::string last_records, bool keep_conn) {
  channel_.reset();
  request_running_ = false;
  parser_.request_finished();
  if (!keep_conn) close_after_writes_ = true;
  queue_write(std::move(last_records));
  if (!closed_ && !writing_ && close_after_writes_) close();
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
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  writes_.clear();
}

}  // namespace zfpm::net
