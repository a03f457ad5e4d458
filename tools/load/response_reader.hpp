#pragma once
// Reads one FastCGI response from a byte stream, fed whatever each read returned: records may be
// split anywhere, several may arrive in one read. A small explicit state machine (header, content,
// padding), every length checked before use, independent of the server's fcgi::Parser on purpose:
// a client that shares the server's parser would share its bugs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zfpm::load {

class ResponseReader {
 public:
  enum class State { reading, complete, failed };

  // keep_stdout_limit bounds how much of STDOUT is kept: a benchmark needs only the CGI header
  // block (for Status:), --once needs everything. STDERR is kept up to the same limit.
  // skip: bytes to drop first, the previous response's pending_padding() on a reused connection.
  ResponseReader(std::uint16_t request_id, std::size_t keep_stdout_limit, std::size_t skip = 0);

  // Consumes bytes until the response ends or fails; returns how many bytes were used (bytes after
  // END_REQUEST are not part of this response).
  std::size_t feed(std::string_view bytes);

  State state() const { return state_; }
  const std::string& error() const { return error_; }                // when failed
  std::uint8_t protocol_status() const { return protocol_status_; }  // when complete
  std::uint32_t app_status() const { return app_status_; }
  const std::string& stdout_data() const { return stdout_; }
  const std::string& stderr_data() const { return stderr_; }
  std::uint64_t stdout_bytes() const { return stdout_bytes_; }  // all of it, kept or not
  // END_REQUEST padding still to come after completion.
  std::size_t pending_padding() const { return state_ == State::complete ? remaining_ : 0; }

  // The Status: of the CGI header block in STDOUT, 200 when there is none (the CGI default);
  // nullopt when the header block is absent or its Status: line is malformed.
  std::optional<int> http_status() const;

 private:
  enum class Phase { header, content, padding };
  void fail(std::string why);
  bool on_record_content();

  std::uint16_t request_id_;
  std::size_t keep_limit_;
  std::size_t skip_;
  State state_ = State::reading;
  Phase phase_ = Phase::header;
  unsigned char header_[8] = {};
  std::size_t header_fill_ = 0;
  std::uint8_t type_ = 0;
  std::uint16_t content_length_ = 0;
  std::uint8_t padding_length_ = 0;
  std::string content_;  // of the current record, for END_REQUEST only
  std::size_t remaining_ = 0;
  std::string stdout_, stderr_;
  std::uint64_t stdout_bytes_ = 0;
  std::uint8_t protocol_status_ = 0;
  std::uint32_t app_status_ = 0;
  std::string error_;
};

// Status: from a CGI response's header block (for tests and --once).
std::optional<int> cgi_status(std::string_view stdout_data);

}  // namespace zfpm::load
