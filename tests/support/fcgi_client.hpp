// The integration tests' own FastCGI client (FastCGI 1.0 spec), written independently of the
// server's fcgi/ codec so that a bug shared by encoder and decoder cannot hide itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socket.hpp"

namespace zfpm::test {

using namespace std::chrono_literals;

using Params = std::vector<std::pair<std::string, std::string>>;

namespace fcgi {
enum RecordType : std::uint8_t {
  begin_request = 1,
  abort_request = 2,
  end_request = 3,
  params = 4,
  stdin_ = 5,
  stdout_ = 6,
  stderr_ = 7,
  data = 8,
  get_values = 9,
  get_values_result = 10,
  unknown_type = 11,
};
enum Role : std::uint16_t { responder = 1, authorizer = 2, filter = 3 };
constexpr std::uint8_t keep_conn_flag = 1;
constexpr std::size_t max_content = 65535;

// One record: 8-byte header, content, padding (zeros).
std::string record(std::uint8_t type, std::uint16_t request_id, std::string_view content,
                   std::uint8_t padding = 0);
std::string begin_request_body(std::uint16_t role, std::uint8_t flags);
// Name-value pairs, 1- or 4-byte lengths as the spec says.
std::string encode_pairs(const Params& pairs);
// A whole stream (PARAMS or STDIN): content split into <= 65535-byte records, padded to 8, then
// the empty record that ends the stream.
std::string stream(std::uint8_t type, std::uint16_t request_id, std::string_view content,
                   std::size_t max_record = max_content);
}  // namespace fcgi

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
};
// Header names as the script sent them; lookup ignores case.
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// A CGI response as in RFC 3875 §6: header lines, a blank line, the body.
struct CgiResponse {
  bool has_header_block = false;  // a blank line ended a header block
  int status = 0;                 // from "Status:", 200 without one, 0 without a header block
  Headers headers;
  std::string body;  // everything after the blank line (all of it without one)

  std::optional<std::string> header(std::string_view name) const;
};
CgiResponse parse_cgi_response(std::string_view text);

struct Response : CgiResponse {
  std::string out;  // all of FCGI_STDOUT
  std::string err;  // all of FCGI_STDERR
  std::uint32_t app_status = 0;
  std::uint8_t protocol_status = 0xff;  // FCGI_REQUEST_COMPLETE is 0
  std::size_t stdout_records = 0;
};

// One record as it came off the wire, with the moment its last byte was read.
struct TimedRecord {
  std::uint8_t type = 0;
  std::uint16_t request_id = 0;
  std::string content;
  std::chrono::steady_clock::time_point arrived;
};

struct RawRead {
  std::string bytes;
  bool eof = false;        // orderly close (read returned 0)
  bool reset = false;      // ECONNRESET: closed with unread data, also a close
  bool timed_out = false;  // nothing closed within the timeout
  bool closed() const { return eof || reset; }
};

// One connection to a FastCGI server. Requests run one after another on it (FCGI_KEEP_CONN keeps
// it open between them); the client never reconnects behind the caller's back.
class FcgiConnection {
 public:
  static FcgiConnection open(std::string_view address, std::chrono::milliseconds timeout = 15s);

  // BEGIN_REQUEST(RESPONDER), PARAMS, STDIN, then records until END_REQUEST. Throws TestError when
  // the server closes, times out or sends a record that does not belong.
  Response request(const Params& params, std::string_view body = {}, bool keep_conn = false);

  // The same request, sent without waiting for the answer; returns its request id. The records
  // that answer it are then read one at a time with read_record().
  std::uint16_t send_request(const Params& params, std::string_view body = {},
                             bool keep_conn = false);
  // One whole record (padding skipped), or throws TestError on a close, a timeout (the
  // connection's) or a record of another version.
  TimedRecord read_record();

  void send_raw(std::string_view bytes);
  // Reads until the server closes or `timeout` passes.
  RawRead read_until_close(std::chrono::milliseconds timeout = 5s);
  void close() { fd_.reset(); }
  // Split PARAMS and STDIN into records of at most this many bytes (the spec allows any split;
  // small records make name-value pairs straddle record boundaries).
  void set_max_record_content(std::size_t bytes) { max_record_ = bytes; }

  int fd() const { return fd_.get(); }
  int local_port() const;
  std::size_t requests_sent() const { return requests_sent_; }

 private:
  FcgiConnection(Fd fd, std::chrono::milliseconds timeout)
      : fd_(std::move(fd)), timeout_(timeout) {}
  // Exactly n bytes, or throws naming what was expected.
  std::string read_exact(std::size_t n, std::string_view what);

  Fd fd_;
  std::chrono::milliseconds timeout_;
  std::uint16_t next_id_ = 1;
  std::size_t requests_sent_ = 0;
  std::size_t max_record_ = fcgi::max_content;
};

// What nginx's fastcgi_params (+ SCRIPT_FILENAME) sends for one HTTP request.
struct HttpRequest {
  std::string method = "GET";
  std::string query{};
  std::string content_type{};
  std::size_t content_length = 0;
  Params headers{};  // HTTP headers as sent: {"Cookie", "a=1"} becomes HTTP_COOKIE
};
// DOCUMENT_ROOT is the script's folder and SCRIPT_NAME "/<file name>".
Params params_for(std::string_view script_filename, const HttpRequest& http = {});

// Replaces the param `name` (its first occurrence), or adds it at the end.
void set_param(Params& params, const std::string& name, const std::string& value);

}  // namespace zfpm::test
