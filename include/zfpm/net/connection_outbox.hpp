#pragma once
// A connection's outgoing bytes, written by whichever thread has them. A worker writes its
// response straight to the socket (non-blocking), so a response that fits in the socket buffer
// reaches the client without waking the I/O thread; only what the socket cannot take now is
// queued, and sent when the socket becomes writable: by the worker itself while its script runs
// (drain_until_empty), by the I/O thread for a response's last records. Records stay in order:
// a writer sends directly only when nothing is queued, and every send happens under one mutex.
// A worker whose script is still running does not queue at all (write_through): it sends from its
// own memory as the socket drains, and other writers queue behind it meanwhile.
//
// Thread-safe. The fd belongs to the connection's asio socket; close() is called before the
// socket closes it, so no thread ever sends on a closed (or reused) descriptor.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
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

  // The socket failed, or a record went out cut: the connection cannot be kept.
  bool failed() const;

  // Worker, mid-response: sends the queue as the socket becomes writable, until it is empty
  // (Drained), or `stop` is set or the socket fails or the outbox closes (Stopped), or nothing
  // could be sent for `stall_limit` (Stalled: the client does not read). `stop` is looked at
  // every kStopPollMs at least.
  enum class DrainResult { Drained, Stopped, Stalled };
  DrainResult drain_until_empty(const std::atomic<bool>& stop,
                                std::chrono::steady_clock::duration stall_limit);

  // Worker, mid-response: sends the pieces in order, straight from the caller's memory, waiting
  // as the socket drains (nothing is copied); what was queued before goes first. Meanwhile other
  // writers queue behind it and the I/O thread's drain sends nothing, so no record is cut into;
  // what they queued is sent afterwards, by this call. Results as drain_until_empty; when it
  // stops after part of the pieces went out, the outbox fails (failed()): a cut record can have
  // nothing after it.
  DrainResult write_through(std::span<const std::string_view> pieces, const std::atomic<bool>& stop,
                            std::chrono::steady_clock::duration stall_limit);

  // No more sends; drops the queue. Before the descriptor closes.
  void close();

 private:
  // Sends from data as far as the socket takes it; false on a socket error.
  bool send_some(std::string_view data, std::size_t& sent);
  // The same for pieces, from pieces[piece] at offset on; both move past what was sent.
  bool send_pieces(std::span<const std::string_view> pieces, std::size_t& piece,
                   std::size_t& offset, std::size_t& sent);

  static constexpr int kStopPollMs = 50;

  mutable std::mutex mutex_;
  int fd_;
  bool closed_ = false;
  bool failed_ = false;
  bool through_ = false;  // write_through is sending: the others queue
  std::deque<std::string> queue_;
  std::size_t front_offset_ = 0;  // bytes of queue_.front() already sent
  std::size_t pending_ = 0;
  std::atomic<bool> finished_{false};  // seq_cst: see Connection::want_finish_post
};

}  // namespace zfpm::net
