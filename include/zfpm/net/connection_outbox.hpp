#pragma once
// A connection's outgoing bytes, written by whichever thread has them. A worker writes its
// response straight to the socket (non-blocking), so a response that fits in the socket buffer
// reaches the client without waking the I/O thread; only what the socket cannot take now is
// queued, and the I/O thread sends it when the socket becomes writable. Records stay in order:
// a writer sends directly only when nothing is queued, and every send happens under one mutex.
//
// Thread-safe. The fd belongs to the connection's asio socket; close() is called before the
// socket closes it, so no thread ever sends on a closed (or reused) descriptor.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace zfpm::net {

class Outbox {
 public:
  enum class Result {
    Sent,     // all of it is in the socket
    Queued,   // the rest waits; the I/O thread is already draining the queue
    Started,  // the rest waits, and the queue was empty: the caller must start the I/O thread's
              // drain (Connection::start_draining)
    Failed,   // the socket failed or is closed: the bytes are dropped
  };

  explicit Outbox(int fd) : fd_(fd) {}

  // `last`: the request's last records. The request is marked finished (finished()) before they
  // are sent, under the lock, so that the I/O thread sees the mark when the client answers them,
  // and close() cannot come between the mark and the bytes.
  Result write(std::string_view bytes, bool last = false);

  // The running request's last records were written (or failed); take_finished() clears it.
  bool finished() const { return finished_.load(); }
  bool take_finished() { return finished_.exchange(false); }
  void clear_finished() { finished_.store(false); }

  // I/O thread, when the socket is writable: sends what it can of the queue. Returns the bytes
  // sent; `more` tells whether some are still queued (then wait for writability again), `failed`
  // whether the socket failed.
  std::size_t drain(bool& more, bool& failed);

  // Bytes queued and not yet sent.
  std::size_t pending() const;

  // Worker: waits while more than `limit` bytes are queued, until `stop` is set (and wake()
  // called) or the outbox fails or closes. True when below the limit.
  bool wait_below(std::size_t limit, const std::atomic<bool>& stop);
  void wake();

  // No more sends; drops the queue and wakes waiters. Before the descriptor closes.
  void close();

 private:
  // Sends from data as far as the socket takes it; false on a socket error.
  bool send_some(std::string_view data, std::size_t& sent);

  mutable std::mutex mutex_;
  std::condition_variable drained_;
  int fd_;
  bool closed_ = false;
  bool failed_ = false;
  std::deque<std::string> queue_;
  std::size_t front_offset_ = 0;  // bytes of queue_.front() already sent
  std::size_t pending_ = 0;
  std::atomic<bool> finished_{false};  // seq_cst: see Connection::want_finish_post
};

}  // namespace zfpm::net
