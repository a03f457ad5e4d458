#include "zfpm/net/connection_outbox.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace zfpm::net {

bool Outbox::send_some(std::string_view data, std::size_t& sent) {
  std::size_t piece = 0;
  std::size_t offset = 0;
  return send_pieces(std::span(&data, 1), piece, offset, sent);
}

bool Outbox::send_pieces(std::span<const std::string_view> pieces, std::size_t& piece,
                         std::size_t& offset, std::size_t& sent) {
  sent = 0;
  while (piece < pieces.size()) {
    iovec iov[64];
    int count = 0;
    for (std::size_t i = piece; i < pieces.size() && count < 64; ++i) {
      const std::string_view data = pieces[i].substr(i == piece ? offset : 0);
      if (data.empty()) continue;
      iov[count++] = {const_cast<char*>(data.data()), data.size()};
    }
    if (count == 0) {
      piece = pieces.size();
      break;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    // MSG_DONTWAIT: the descriptor's own mode is asio's business; MSG_NOSIGNAL: a reset peer is
    // an error code, not SIGPIPE.
    const ssize_t n = ::sendmsg(fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
    // Move past what was sent.
    std::size_t left = static_cast<std::size_t>(n);
    while (left > 0 && piece < pieces.size()) {
      const std::size_t rest = pieces[piece].size() - offset;
      if (left < rest) {
        offset += left;
        left = 0;
      } else {
        left -= rest;
        ++piece;
        offset = 0;
      }
    }
  }
  return true;
}

Outbox::Result Outbox::write(std::string_view bytes, bool last) {
  std::lock_guard lock(mutex_);
  if (last) finished_.store(true);  // also when the bytes fail: the request is over either way
  if (closed_ || failed_) return Result::Failed;
  if (bytes.empty()) return queue_.empty() ? Result::Sent : Result::Queued;
  if (!queue_.empty() || through_) {
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
  if (through_ && !failed) {
    more = false;  // the worker sends the queue once its own bytes are out
    return 0;
  }
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

Outbox::DrainResult Outbox::write_through(std::span<const std::string_view> pieces,
                                          const std::atomic<bool>& stop,
                                          std::chrono::steady_clock::duration stall_limit) {
  std::size_t piece = 0;
  std::size_t offset = 0;
  std::size_t total = 0;
  auto progress = std::chrono::steady_clock::now();
  DrainResult result = DrainResult::Drained;
  for (;;) {
    std::size_t sent = 0;
    bool queued = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || failed_) {
        result = DrainResult::Stopped;
      } else if (!through_ && !queue_.empty()) {
        queued = true;  // what was queued before goes first, even if it came after a drain
      } else if (!send_pieces(pieces, piece, offset, sent)) {
        failed_ = true;
        result = DrainResult::Stopped;
      } else if (piece < pieces.size()) {
        through_ = true;  // the rest waits for the socket: nobody else may send meanwhile
      }
    }
    if (queued) {
      if (const auto before = drain_until_empty(stop, stall_limit);
          before != DrainResult::Drained) {
        return before;  // none of the pieces was sent
      }
      continue;
    }
    total += sent;
    if (result != DrainResult::Drained || piece == pieces.size()) break;
    if (stop.load(std::memory_order_acquire)) {
      result = DrainResult::Stopped;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (sent > 0) {
      progress = now;
    } else if (now - progress >= stall_limit) {
      result = DrainResult::Stalled;
      break;
    }
    pollfd writable{fd_, POLLOUT, 0};
    ::poll(&writable, 1, kStopPollMs);
  }
  {
    std::lock_guard lock(mutex_);
    through_ = false;
    if (result != DrainResult::Drained && total > 0) {
      // A record cut off part-way: whatever followed it would be read as its rest, so nothing
      // more goes out on this connection (it is closed, not kept).
      failed_ = true;
      queue_.clear();
      front_offset_ = 0;
      pending_ = 0;
    }
  }
  if (result != DrainResult::Drained) return result;
  // What others queued while this worker held the socket was left to it (drain() sent nothing
  // meanwhile), and nobody else will send it: it goes out whatever `stop` says, unless the
  // client reads nothing for stall_limit.
  static const std::atomic<bool> never{false};
  return drain_until_empty(never, stall_limit);
}

bool Outbox::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void Outbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  queue_.clear();
  front_offset_ = 0;
  pending_ = 0;
}

}  // namespace zfpm::net
