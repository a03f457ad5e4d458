#pragma once
// The worker's side of a response: PHP's output is encoded into STDOUT/STDERR records in a buffer
// owned by the worker thread and handed to the connection in large pieces, so the request path
// pays one write per ~32 KiB instead of one per echo. The buffer is kept from one request to the
// next (up to kKeptBytes), so a worker's requests do not allocate it again. A write of
// kHandOffBytes or more is not copied at all: its records go out as headers written here and
// content still in PHP's memory, in one gathered send (as php-fpm writes a large write straight
// from PHP's buffer, fastcgi.c: fcgi_write).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::fcgi {

// The way back to the client, implemented by the connection. Thread-safe: the worker calls it,
// the I/O thread serves it.
class ResponseChannel {
 public:
  virtual ~ResponseChannel() = default;
  // Sends encoded records, the pieces in order as one stream, to the client; blocks until the
  // socket has taken them (a slow client holds its own worker, never memory), so the pieces may
  // point into the caller's memory. Returns false once the client is gone or aborted.
  virtual bool send(std::span<const std::string_view> pieces) = 0;
  bool send(std::string_view records) { return send(std::span(&records, 1)); }
  // Sends the request's last records (ending with END_REQUEST); the connection then takes the
  // next request (keep_conn) or closes.
  virtual void finish(std::string_view records, bool keep_conn) = 0;
  // The client closed, sent ABORT_REQUEST, or a write failed.
  virtual bool aborted() const = 0;
};

class OutputSink {
 public:
  static constexpr std::size_t kHandOffBytes = 32 * 1024;
  static constexpr std::size_t kKeptBytes = 256 * 1024;

  void begin(std::shared_ptr<ResponseChannel> channel, std::uint16_t request_id, bool keep_conn);

  // Both return false once the client is gone (the data is dropped).
  bool write_stdout(std::string_view data);
  bool write_stderr(std::string_view data);
  // Hands everything buffered to the connection now (PHP's flush()).
  bool flush();
  // Ends the request: buffered records, then END_REQUEST with the script's exit status.
  void end(std::uint32_t app_status);

  bool active() const { return channel_ != nullptr; }
  bool aborted() const { return channel_ == nullptr || channel_->aborted(); }

 private:
  bool append(int type, std::string_view data);
  // A large write: what is buffered, then `data` as records around PHP's own bytes.
  bool send_through(int type, std::string_view data);

  std::shared_ptr<ResponseChannel> channel_;
  std::string buffer_;
  std::string headers_;                   // send_through's record headers
  std::vector<std::string_view> pieces_;  // send_through's gathered send
  // The last record in buffer_, while writes of its type may still grow it: consecutive writes
  // share one record (as php-fpm fills its 8 KiB records), never one record per echo.
  std::size_t open_record_ = 0;  // its offset in buffer_
  int open_type_ = -1;           // -1: none open
  std::uint16_t request_id_ = 0;
  bool keep_conn_ = false;
};

}  // namespace zfpm::fcgi
