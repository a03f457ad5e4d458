#include "zfpm/net/connection_outbox.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace zfpm::net {

bool Outbox::send_some(std::string_view data, std::size_t& sent) {
  sent = 0;
  while (sent < data.size()) {
    // MSG_DONTWAIT: the descriptor's own mode is asio's business; MSG_NOSIGNAL: a reset peer is
    // an error code, not SIGPIPE.
    const ssize_t n =
        ::send(fd_, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      return false;
    }
  }
  return true;
}

Outbox::Result Outbox::write(std::string_view bytes, bool last) {
  std::lock_guard lock(mutex_);
  if (last) finished_.store(true);  // also when the bytes fail: the request is over either way
  if (closed_ || failed_) return Result::Failed;
  if (bytes.empty()) return queue_.empty() ? Result::Sent : Result::Queued;
  if (!queue_.empty()) {
    queue_.emplace_back(bytes);
    pending_ += bytes.size();
    return Result::Queued;
  }
  std::size_t sent = 0;
  if (!send_some(bytes, sent)) {
    failed_ = true;
    return Result::Failed;
  }
  if (sent == bytes.size()) return Result::Sent;
  queue_.emplace_back(bytes.substr(sent));
  front_offset_ = 0;
  pending_ = bytes.size() - sent;
  return Result::Started;
}

std::size_t Outbox::drain(bool& more, bool& failed) {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  failed = closed_ || failed_;
  while (!failed && !queue_.empty()) {
    const std::string_view front = std::string_view(queue_.front()).substr(front_offset_);
    std::size_t sent = 0;
    if (!send_some(front, sent)) {
      failed_ = failed = true;
      break;
    }
    total += sent;
    pending_ -= sent;
    if (sent < front.size()) {
      front_offset_ += sent;
      break;
    }
    queue_.pop_front();
    front_offset_ = 0;
  }
  if (failed) {
    queue_.clear();
    front_offset_ = 0;
    pending_ = 0;
  }
  more = !queue_.empty();
  return total;
}

std::size_t Outbox::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

Outbox::DrainResult Outbox::drain_until_empty(const std::atomic<bool>& stop,
                                              std::chrono::steady_clock::duration stall_limit) {
  auto progress = std::chrono::steady_clock::now();
  for (;;) {
    bool more = false;
    bool failed = false;
    const std::size_t sent = drain(more, failed);
    if (failed) return DrainResult::Stopped;
    if (!more) return DrainResult::Drained;
    if (stop.load(std::memory_order_acquire)) return DrainResult::Stopped;
    const auto now = std::chrono::steady_clock::now();
    if (sent > 0) {
      progress = now;
    } else if (now - progress >= stall_limit) {
      return DrainResult::Stalled;
    }
    // The descriptor is checked again under the lock by drain(): if the connection closed (and
    // the number was reused) meanwhile, closed_ says so before anything is sent.
    pollfd writable{fd_, POLLOUT, 0};
    ::poll(&writable, 1, kStopPollMs);
  }
}

void Outbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  queue_.clear();
  front_offset_ = 0;
  pending_ = 0;
}

}  // namespace zfpm::net
